//! errata's entry points: headless commands or the native window; the web build starts the same app.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(code) = errata::cli::run(&args) {
        return std::process::ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match errata::app::run_native(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("errata: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    errata::web::start();
}
