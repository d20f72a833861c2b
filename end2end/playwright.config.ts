import { defineConfig } from '@playwright/test';

// The release build, started by Playwright on its own port so `make run` can keep 3000.
const port = Number(process.env.SYNCPLAN_TEST_PORT ?? 3210);
const dataDir = process.env.SYNCPLAN_TEST_DATA ?? '../target/e2e-data';
// The share rate limit is generous here: every test creates links from the same address.

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'off',
    // The offline spec turns the service worker on; elsewhere it would only add noise.
    serviceWorkers: 'block',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'js', testIgnore: /no-js\.spec\.ts/ },
    { name: 'no-js', testMatch: /no-js\.spec\.ts/, use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: '../target/release/syncplan',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      LEPTOS_SITE_ROOT: '../target/site',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_ENV: 'PROD',
      SYNCPLAN_DATABASE_URL: `sqlite://${dataDir}/shares.db?mode=rwc`,
      SYNCPLAN_SHARE_RATE_LIMIT: '1000',
      SYNCPLAN_SHARES_PER_DAY: '100000',
      RUST_LOG: 'warn',
    },
  },
});
