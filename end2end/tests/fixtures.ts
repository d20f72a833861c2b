import { test as base, expect, type Browser, type Page, type Locator } from '@playwright/test';

export const WORKSPACE_KEY = 'syncplan.workspace';

/** The editor page: navigation that waits for hydration, and the table's cells. */
export class Editor {
  constructor(readonly page: Page) {}

  /** Stores `raw` as the saved workspace before the first load of this tab (not on reloads). */
  async seed(raw: string) {
    await this.page.addInitScript(
      ([key, value]) => {
        if (!sessionStorage.getItem('seeded')) {
          localStorage.setItem(key, value);
          sessionStorage.setItem('seeded', '1');
        }
      },
      [WORKSPACE_KEY, raw],
    );
  }

  async goto(path = '/') {
    await this.page.goto(path);
    await this.ready();
  }

  /** Waits for hydration and the stored-data load (the app marks both). */
  async ready() {
    await this.page.locator('body[data-hydrated="true"]').waitFor();
  }

  async reload() {
    await this.page.reload();
    await this.ready();
  }

  rows(): Locator {
    return this.page.locator('table.plan-table tbody tr');
  }

  row(n: number): Locator {
    return this.rows().nth(n - 1);
  }

  /** The grid cell in column `col` (item, category, priority, owner, status, notes) of row n. */
  cell(n: number, col: string): Locator {
    return this.row(n).locator(`td[data-col="${col}"]`);
  }

  /** The value a cell shows (its text, or its Priority / Status pill). */
  text(n: number, col: string): Locator {
    return col === 'owner' || col === 'notes' ? this.cell(n, col) : this.cell(n, col).locator('.cell-text, .pill').first();
  }

  /** The cell editor while it is open. */
  editorBox(): Locator {
    return this.page.locator('.cell-editor:visible');
  }

  /** Edits a cell as a user would: click it, F2, type the value, Enter. */
  async set(n: number, col: string, value: string) {
    await this.cell(n, col).click();
    if (!(await this.editorBox().count())) await this.page.keyboard.press('F2');
    await this.editorBox().fill(value);
    await this.page.keyboard.press('Enter');
    await expect(this.editorBox()).toHaveCount(0);
  }

  async items(): Promise<string[]> {
    const cells = this.page.locator('table.plan-table tbody td[data-col="item"] .cell-text');
    return cells.evaluateAll((els) => els.map((e) => e.textContent ?? ''));
  }

  /** Opens the Export menu (downloads, Copy for Sheets). */
  async openExport() {
    const menu = this.page.locator('details.export-menu');
    if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) {
      await menu.locator('summary').click();
    }
  }

  /** Opens the Import menu. */
  async openImport() {
    const menu = this.page.locator('details.import-menu');
    if (!(await menu.evaluate((d) => (d as HTMLDetailsElement).open))) {
      await menu.locator('summary').click();
    }
  }

  /** Opens the readiness details (status legend, category bars). */
  async openReadiness() {
    const more = this.page.locator('details.readiness-more');
    if (!(await more.evaluate((d) => (d as HTMLDetailsElement).open))) {
      await more.locator('summary').click();
    }
  }

  saveIndicator(): Locator {
    return this.page.getByTestId('save-indicator');
  }

  /** The stored workspace envelope, or null when there is none (or it is not JSON). */
  async storedRaw(): Promise<any> {
    return this.page.evaluate((key) => {
      try {
        return JSON.parse(localStorage.getItem(key) ?? 'null');
      } catch {
        return null;
      }
    }, WORKSPACE_KEY);
  }

  /** The stored envelope with each plan's document read as a plan (`plans[i].plan`). */
  async stored(): Promise<any> {
    const env = await this.storedRaw();
    if (!env?.plans) return env;
    for (const entry of env.plans) {
      const doc = entry.doc ?? entry.live?.sync?.confirmed;
      if (doc) entry.plan = planOf(doc);
    }
    return env;
  }

  async storedItems(): Promise<string[]> {
    const env = await this.stored();
    if (!env) return [];
    const plan = env.plans.find((p: any) => p.id === env.active).plan;
    return plan.rows.map((r: any) => r.item);
  }

  button(name: string | RegExp): Locator {
    return this.page.getByRole('button', { name, exact: typeof name === 'string' });
  }
}

/** Playwright's own note when `serviceWorkers: 'block'` stops the app registering its worker. */
export const HARNESS_NOISE = /Service Worker registration blocked by Playwright/;

/** Collects console errors and warnings; a test may allow the ones it expects. */
export class ConsoleGuard {
  readonly problems: string[] = [];
  private readonly allowed: RegExp[] = [HARNESS_NOISE];
  allow(pattern: RegExp) {
    this.allowed.push(pattern);
  }
  unexpected(): string[] {
    return this.problems.filter((p) => !this.allowed.some((a) => a.test(p)));
  }
}

type Fixtures = { editor: Editor; consoleGuard: ConsoleGuard };

/**
 * Every test gets an Editor, and fails if the page logged a console error or warning
 * (hydration mismatches included) or threw.
 */
export const test = base.extend<Fixtures>({
  consoleGuard: async ({ page }, use) => {
    const guard = new ConsoleGuard();
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') {
        guard.problems.push(`${msg.type()}: ${msg.text()}`);
      }
    });
    page.on('pageerror', (err) => guard.problems.push(`pageerror: ${err.message}`));
    await use(guard);
    expect(guard.unexpected(), 'the browser console stays clean').toEqual([]);
  },
  editor: async ({ page, consoleGuard }, use) => {
    void consoleGuard;
    await use(new Editor(page));
  },
});

export { expect };

/** A stored document (schema 3: registers as `[value, stamp]`) as the plan it shows. */
export function planOf(doc: any): { title: string; rows: any[] } {
  const rows = Object.entries(doc.rows as Record<string, any>)
    .filter(([, r]) => r.alive[0])
    .sort(([ia, a], [ib, b]) => (a.position[0] < b.position[0] ? -1 : a.position[0] > b.position[0] ? 1 : ia < ib ? -1 : 1))
    .map(([id, r]) => ({
      id,
      item: r.item[0],
      category: r.category[0],
      priority: r.priority[0],
      owner: r.owner[0],
      status: r.status[0],
      notes: r.notes[0]?.text ?? '',
    }));
  return { title: doc.title[0], rows };
}

/** A page in a brand-new browser context: another person, with their own local storage,
 * whose console errors fail the test like the main page's. */
export async function stranger(browser: Browser, guard: ConsoleGuard, who = 'viewer'): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') guard.problems.push(`${who} ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => guard.problems.push(`${who} pageerror: ${e.message}`));
  return page;
}

/** The owner turns on editing in the Share dialog: `[edit link, read-only link]`. */
export async function turnOnEditing(editor: Editor): Promise<[string, string]> {
  const page = editor.page;
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share', exact: true });
  await dialog.getByRole('button', { name: 'Turn on editing' }).click();
  const url = await dialog.locator('#edit-url').inputValue();
  expect(url).toMatch(/\/e\/[A-Za-z0-9_-]{22}#[A-Za-z0-9_-]{40,}$/);
  const viewUrl = await dialog.locator('#share-url').inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  return [url, viewUrl];
}

/** Opens an edit link as someone joining: the welcome names the plan (and its owner, once
 * known) and asks for a display name, which `name` answers. */
export async function join(page: Page, url: string, name: string, plan?: string, owner?: string) {
  await page.goto(url);
  await new Editor(page).ready();
  const welcome = page.getByRole('dialog', { name: /^You’re editing/ });
  await expect(welcome).toBeVisible();
  if (plan) {
    const heading = owner ? `You’re editing “${plan}” with ${owner}` : `You’re editing “${plan}” together`;
    await expect(welcome.getByRole('heading')).toHaveText(heading);
  }
  await welcome.getByLabel('Display name').fill(name);
  await welcome.getByRole('button', { name: 'Start editing' }).click();
  await expect(welcome).toBeHidden();
}
