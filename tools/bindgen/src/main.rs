//! `site-bindgen INPUT.wasm OUT_DIR OUT_NAME`: what `wasm-bindgen --target=web --no-typescript
//! --out-dir=OUT_DIR --out-name=OUT_NAME INPUT.wasm` does, with the same library at the same
//! version. scripts/build-site.mjs compiles and runs it; bench/run.mjs reuses it for twiggy.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, out_dir, out_name] = args.as_slice() else {
        eprintln!("usage: site-bindgen INPUT.wasm OUT_DIR OUT_NAME");
        return ExitCode::from(2);
    };
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    let result = bindgen.web(true).and_then(|b| {
        b.input_path(input)
            .typescript(false)
            // The CLI passes this; the library defaults to leaving the URL out.
            .omit_default_module_path(false)
            .out_name(out_name)
            .generate(out_dir)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: wasm-bindgen could not process {input}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
