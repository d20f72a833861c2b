#!/usr/bin/env node
// Builds the release site the way `cargo leptos build --release --precompress` does, without
// cargo-leptos (whose own compile takes ~12 minutes on a fresh machine):
//
//   server  cargo build --release --bin <name>   (bin-features)
//   browser cargo build --lib --target wasm32-unknown-unknown --profile <lib-profile-release>
//           wasm-bindgen --target web (tools/bindgen: its 0.2.130 library, without the CLI's
//           test runner, so a first build compiles it in 1 min, not 2½), wasm-opt -Oz (npm
//           binaryen 132; --converge for the first load), terser for the JS glue
//   style   lightningcss --minify for the `browserquery` targets
//   files   content-hashed names + hash.txt beside the server binary; public/ copied;
//           every file precompressed (.br, .gz)
//
// Settings come from `[package.metadata.leptos]` in Cargo.toml, so `cargo leptos watch` and
// this script build the same site from one source of truth. Usage:
//   node scripts/build-site.mjs            the whole release build
//   node scripts/build-site.mjs --front    only the browser files (the server is built elsewhere)
//   node scripts/build-site.mjs --root DIR another Leptos project (bench/: the counter, the
//                                          table before the grid), built with the same tools

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const here = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const rootArg = process.argv.indexOf('--root');
const root = rootArg > 0 ? path.resolve(process.argv[rootArg + 1]) : here;
const frontOnly = process.argv.includes('--front');
const tools = path.join(here, 'tools', 'node_modules', '.bin');

/** The flat `key = value` pairs of one table of Cargo.toml (strings, booleans, string arrays). */
function tomlTable(text, name) {
  const out = {};
  let inside = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line.startsWith('[')) {
      inside = line === `[${name}]`;
      continue;
    }
    if (!inside || !line || line.startsWith('#')) continue;
    const m = line.match(/^([A-Za-z0-9_-]+)\s*=\s*(.+)$/);
    if (!m) continue;
    let value = m[2].trim();
    if (value.startsWith('[')) value = [...value.matchAll(/"([^"]*)"/g)].map((x) => x[1]);
    else if (value === 'true' || value === 'false') value = value === 'true';
    else value = value.replace(/^["']|["']$/g, '');
    out[m[1]] = value;
  }
  return out;
}

const cargoToml = fs.readFileSync(path.join(root, 'Cargo.toml'), 'utf8');
const pkgName = tomlTable(cargoToml, 'package').name;
const meta = tomlTable(cargoToml, 'package.metadata.leptos');
const output = meta['output-name'] ?? pkgName;
const siteRoot = path.join(root, meta['site-root'] ?? 'target/site');
const pkgDir = path.join(siteRoot, meta['site-pkg-dir'] ?? 'pkg');
const libProfile = meta['lib-profile-release'] ?? 'release';
const hashFiles = meta['hash-files'] === true;
// `split = true`: cut the functions marked `#[wasm_split]` into chunks loaded on first use
// (cargo-leptos has no key for it: there it is `cargo leptos watch --split`).
const split = meta.split === true;
const LOADER = '__wasm_split.______________________.js';

function run(cmd, args, env = {}) {
  const shown = [cmd, ...args].join(' ');
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.error) fail(`could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${shown} failed (exit ${r.status})`);
}

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

function tool(name) {
  const p = path.join(tools, name);
  if (!fs.existsSync(p)) fail(`${p} is missing: run \`make tools\` (npm ci in tools/)`);
  return p;
}

/** tools/bindgen, compiled on first use (and again only when its source changes). */
function bindgen() {
  const manifest = path.join(here, 'tools', 'bindgen', 'Cargo.toml');
  const targetDir = path.join(here, 'target', 'tools');
  const bin = path.join(targetDir, 'release', 'site-bindgen');
  if (!fs.existsSync(bin)) console.log('Compiling site-bindgen, the wasm-bindgen 0.2.130 library (first build only: under a minute)...');
  run('cargo', ['build', '--release', '--quiet', '--locked', `--manifest-path=${manifest}`, `--target-dir=${targetDir}`]);
  return bin;
}

const md5 = (bytes) => createHash('md5').update(bytes).digest('base64url');
const features = (list) => (list && list.length ? [`--features=${list.join(',')}`] : []);
// Leptos reads the output name at compile time; `cargo test` in the Makefile sets the same.
const cargoEnv = { LEPTOS_OUTPUT_NAME: output };

// 1. The server.
if (!frontOnly) {
  const args = ['build', '--release', `--package=${pkgName}`, `--bin=${meta['bin-target'] ?? pkgName}`];
  if (meta['bin-default-features'] === false) args.push('--no-default-features');
  run('cargo', [...args, ...features(meta['bin-features'])], cargoEnv);
}

// 2. The browser bundle. Same target directory as cargo-leptos, so either reuses the other's.
const frontTarget = path.join(root, 'target', 'front');
{
  const args = ['build', `--package=${pkgName}`, '--lib', `--target-dir=${frontTarget}`,
    '--target=wasm32-unknown-unknown', `--profile=${libProfile}`];
  if (meta['lib-default-features'] === false) args.push('--no-default-features');
  // Splitting needs the linker's relocations (added to .cargo/config.toml's flags, as
  // `cargo leptos --split` does); a WASM that is not split must not have them (wasm-opt
  // cannot optimise a module that still has its linking section).
  if (split) args.push('--config=build.rustflags=["-Clink-args=--emit-relocs"]');
  run('cargo', [...args, ...features(meta['lib-features'])], cargoEnv);
}
const profileDir = libProfile === 'dev' ? 'debug' : libProfile;
const wasmIn = path.join(frontTarget, 'wasm32-unknown-unknown', profileDir, `${pkgName.replace(/-/g, '_')}.wasm`);
const styleIn = meta['style-file'] ? path.join(root, meta['style-file']) : null;
const kinds = styleIn ? ['js', 'wasm', 'css'] : ['js', 'wasm'];

// The front files are redone only when their inputs (or this script) changed.
const stampFile = path.join(frontTarget, 'site-stamp.txt');
const stamp = [wasmIn, styleIn, new URL(import.meta.url).pathname]
  .filter(Boolean)
  .map((f) => md5(fs.readFileSync(f)))
  .concat(split ? ['split'] : [])
  .join(' ');
const hashTxt = path.join(root, 'target', 'release', meta['hash-file-name'] ?? 'hash.txt');
const fresh = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp
  && fs.existsSync(pkgDir) && (!hashFiles || fs.existsSync(hashTxt));

if (!fresh) {
  const work = path.join(frontTarget, 'site-work');
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  console.log(`Generating the JS/WASM with wasm-bindgen${split ? ' (split into lazily loaded chunks)' : ''}, optimising with wasm-opt -Oz...`);
  run(bindgen(), [wasmIn, work, output, ...(split ? ['--split'] : [])]);
  const wasm = path.join(work, `${output}.wasm`);
  fs.renameSync(path.join(work, `${output}_bg.wasm`), wasm);
  fs.rmSync(path.join(work, `${output}_split_main.wasm`), { force: true });
  const chunks = fs.readdirSync(work).filter((f) => f.endsWith('.wasm') && f !== `${output}.wasm`).sort();
  for (const file of [wasm, ...chunks.map((f) => path.join(work, f))]) {
    // The first load is run through the size passes until they find nothing more to take
    // out (about 1.6 KB brotli, for some 15 s of build); the chunks, once.
    const passes = file === wasm ? ['-Oz', '--converge'] : ['-Oz'];
    // Custom sections only a linker reads (producers, target features) are not sent.
    passes.push('--strip-producers', '--strip-target-features');
    run(tool('wasm-opt'), [...passes, '--enable-bulk-memory', '--enable-nontrapping-float-to-int', file, '-o', file]);
  }
  const js = path.join(work, `${output}.js`);
  const loader = path.join(work, LOADER);
  for (const file of split ? [js, loader] : [js]) {
    run(tool('terser'), [file, '--module', '--compress', '--mangle', '-o', file]);
  }
  if (styleIn) {
    const css = path.join(work, `${output}.css`);
    run(tool('lightningcss'), ['--minify', '--targets', meta.browserquery ?? 'defaults', styleIn, '-o', css]);
  }

  // Hashed names: each file's name carries the md5 of what it holds, so a browser or the
  // service worker never mixes files of two builds.
  const files = new Map(); // name in work/ -> name in pkg/
  const hashed = (name, bytes) => {
    const dot = name.lastIndexOf('.');
    return hashFiles ? `${name.slice(0, dot)}.${md5(bytes)}${name.slice(dot)}` : name;
  };
  const read = (name) => fs.readFileSync(path.join(work, name));
  const write = (name, bytes) => fs.writeFileSync(path.join(work, name), bytes);
  const edit = (name, change) => write(name, change(read(name).toString('utf8')));
  const [wasmName, jsName] = [`${output}.wasm`, `${output}.js`];
  for (const name of chunks) files.set(name, hashed(name, read(name)));
  let loaderText = null;
  if (split) {
    loaderText = read(LOADER).toString('utf8');
    for (const name of chunks) loaderText = loaderText.replaceAll(`./${name}`, `./${files.get(name)}`);
    // The loader and the glue import each other, and the WASM names the loader as a module:
    // the loader's name hashes everything the three are made of, and the placeholder it
    // replaces is as long as a hash, so the WASM keeps its layout.
    const loaderName = hashFiles
      ? `__wasm_split.${md5(Buffer.concat([Buffer.from(loaderText), read(jsName), read(wasmName)]))}.js`
      : LOADER;
    write(wasmName, replaceBytes(read(wasmName), LOADER, loaderName));
    edit(jsName, (text) => text.replaceAll(LOADER, loaderName));
    files.set(LOADER, loaderName);
  }
  files.set(wasmName, hashed(wasmName, read(wasmName)));
  if (hashFiles) edit(jsName, (text) => text.replaceAll(`${output}_bg.wasm`, files.get(wasmName)));
  files.set(jsName, hashed(jsName, read(jsName)));
  if (split) write(LOADER, loaderText.replaceAll(`./${jsName}`, `./${files.get(jsName)}`));
  if (styleIn) files.set(`${output}.css`, hashed(`${output}.css`, read(`${output}.css`)));
  fs.rmSync(pkgDir, { recursive: true, force: true });
  fs.mkdirSync(pkgDir, { recursive: true });
  for (const [from, to] of files) fs.copyFileSync(path.join(work, from), path.join(pkgDir, to));
  fs.mkdirSync(path.dirname(hashTxt), { recursive: true });
  const hashOf = (name) => files.get(name).split('.').at(-2);
  if (hashFiles) {
    const lines = kinds.map((ext) => `${ext}: ${hashOf(`${output}.${ext}`)}\n`);
    if (split) lines.push(`split: ${hashOf(LOADER)}\n`);
    fs.writeFileSync(hashTxt, lines.join(''));
  } else fs.rmSync(hashTxt, { force: true });
  precompressAll(pkgDir);
  fs.writeFileSync(stampFile, stamp);
}

// 3. Static files: public/ as it is now (files removed from public/ leave the site too).
const assets = path.join(root, meta['assets-dir'] ?? 'public');
fs.mkdirSync(siteRoot, { recursive: true });
if (fs.existsSync(assets)) {
  for (const entry of fs.readdirSync(siteRoot, { withFileTypes: true })) {
    if (entry.name === path.basename(pkgDir)) continue;
    const source = path.join(assets, entry.name.replace(/\.(br|gz)$/, ''));
    if (!fs.existsSync(source)) fs.rmSync(path.join(siteRoot, entry.name), { recursive: true, force: true });
  }
  copyNewer(assets, siteRoot);
}
console.log(`Site ready in ${path.relative(root, siteRoot)}`);

/** Copies `from` into `to`, compressing each file that changed. */
function copyNewer(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dest = path.join(to, entry.name);
    if (entry.isDirectory()) {
      copyNewer(src, dest);
      continue;
    }
    const bytes = fs.readFileSync(src);
    if (fs.existsSync(dest) && fs.readFileSync(dest).equals(bytes) && fs.existsSync(`${dest}.br`)) continue;
    fs.writeFileSync(dest, bytes);
    precompress(dest, bytes);
  }
}

/** `bytes` with every `from` replaced by `to`, a string of the same length. */
function replaceBytes(bytes, from, to) {
  if (from.length !== to.length) fail(`cannot put ${to} in place of ${from}: their lengths differ`);
  const needle = Buffer.from(from);
  const out = Buffer.from(bytes);
  for (let i = out.indexOf(needle); i >= 0; i = out.indexOf(needle, i + needle.length)) out.write(to, i);
  return out;
}

function precompressAll(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) precompressAll(file);
    else if (!/\.(br|gz)$/.test(entry.name)) precompress(file, fs.readFileSync(file));
  }
}

/** Writes `file.br` (quality 11) and `file.gz` (level 9) beside `file`. */
function precompress(file, bytes) {
  const br = zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  fs.writeFileSync(`${file}.br`, br);
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(bytes, { level: 9 }));
}
