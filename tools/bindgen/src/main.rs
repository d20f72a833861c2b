//! `site-bindgen INPUT.wasm OUT_DIR OUT_NAME [--split]`: what `wasm-bindgen --target=web
//! --no-typescript --out-dir=OUT_DIR --out-name=OUT_NAME INPUT.wasm` does, with the same library
//! at the same version. scripts/build-site.mjs compiles and runs it; bench/run.mjs reuses it for
//! twiggy.
//!
//! With `--split` it first does what `cargo leptos build --split` does: it cuts the functions
//! marked `#[wasm_split]` (and the code only they use) out of INPUT.wasm into `OUT_DIR/*.wasm`
//! chunks, writes their loader `OUT_DIR/__wasm_split.______________________.js` (the build
//! renames it once its hash is known), then runs wasm-bindgen on what is left, keeping the
//! exports the chunks link against. INPUT.wasm must be linked with `-Clink-args=--emit-relocs`.

use std::path::Path;
use std::process::ExitCode;

/// The loader's name before hashing: the placeholder is as long as a hash, so the name can be
/// replaced inside the WASM without changing its layout (cargo-leptos uses the same one).
const LOADER: &str = "__wasm_split.______________________.js";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let split = args.iter().any(|a| a == "--split");
    args.retain(|a| a != "--split");
    let [input, out_dir, out_name] = args.as_slice() else {
        eprintln!("usage: site-bindgen INPUT.wasm OUT_DIR OUT_NAME [--split]");
        return ExitCode::from(2);
    };
    let out = Path::new(out_dir);
    let bindgen_input = if split {
        match split_chunks(Path::new(input), out, out_name) {
            Ok(main) => main,
            Err(e) => {
                eprintln!("error: could not split {input} into lazily loaded chunks: {e:#}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        Path::new(input).to_path_buf()
    };
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    let result = bindgen.web(true).and_then(|b| {
        b.input_path(&bindgen_input)
            .typescript(false)
            // The CLI passes this; the library defaults to leaving the URL out.
            .omit_default_module_path(false)
            // What the chunks import from the main module must stay exported, under the names
            // the split gave it.
            .keep_lld_exports(split)
            .demangle(!split)
            .out_name(out_name)
            .generate(out)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: wasm-bindgen could not process {input}: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes the chunks and their loader into `out`; returns the main module left.
fn split_chunks(
    input: &Path,
    out: &Path,
    out_name: &str,
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(out)?;
    let wasm = std::fs::read(input)?;
    let main_out = out.join(format!("{out_name}_split_main.wasm"));
    let main_module = format!("./{out_name}.js");
    let link_name = format!("./{LOADER}");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = out;
    opts.main_out_path = &main_out;
    opts.main_module = &main_module;
    opts.link_name = &link_name;
    let split = wasm_split_cli_support::transform(opts).map_err(|e| format!("{e:#}"))?;
    for chunk in &split.split_modules {
        let bytes = std::fs::read(chunk)?;
        std::fs::write(chunk, without_names(&bytes)?)?;
    }
    Ok(main_out)
}

/// `wasm` without its `name` section. The chunks' name sections have a subsection wasm-opt
/// does not know (it warns on every build), and wasm-opt drops names anyway.
fn without_names(wasm: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    fn leb(bytes: &[u8], at: &mut usize) -> Result<usize, String> {
        let (mut value, mut shift) = (0usize, 0);
        loop {
            let byte = *bytes
                .get(*at)
                .ok_or("a section runs past the end of the chunk")?;
            *at += 1;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
            shift += 7;
            if shift > 28 {
                return Err("a section size is not a valid LEB128 number".into());
            }
        }
    }
    let mut out = wasm
        .get(..8)
        .ok_or("the chunk is not a WASM module")?
        .to_vec();
    let mut at = 8;
    while at < wasm.len() {
        let start = at;
        let id = wasm[at];
        at += 1;
        let size = leb(wasm, &mut at)?;
        let end = at + size;
        let body = wasm
            .get(at..end)
            .ok_or("a section runs past the end of the chunk")?;
        let mut name_at = 0;
        let is_names = id == 0
            && leb(body, &mut name_at)
                .is_ok_and(|len| body.get(name_at..name_at + len) == Some(b"name"));
        if !is_names {
            out.extend_from_slice(&wasm[start..end]);
        }
        at = end;
    }
    Ok(out)
}
