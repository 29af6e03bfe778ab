//! The browser entry: starts the same app on the page's canvas (`?url=` opens a dump,
//! `&labels=` imports a labels file), shows a crash on the page, publishes the app's status, and
//! saves exports as downloads.

use std::cell::RefCell;

use wasm_bindgen::JsCast as _;

use crate::app::{AppStatus, ErrataApp, StartOptions};

thread_local! {
    static PUBLISHED: RefCell<Option<AppStatus>> = const { RefCell::new(None) };
}

/// Shows the app's status in the page title and as JSON in `<body data-errata=…>` (read by the
/// end-to-end test and by anyone scripting the page). Touches the DOM only when it changed.
pub fn publish(status: &AppStatus) {
    let changed = PUBLISHED.with(|p| {
        let mut p = p.borrow_mut();
        if p.as_ref() == Some(status) {
            return false;
        }
        *p = Some(status.clone());
        true
    });
    if !changed {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    document.set_title(&if status.dump.is_empty() {
        "errata".to_owned()
    } else {
        let name = status.dump.rsplit('/').next().unwrap_or(&status.dump);
        format!("{name} · errata")
    });
    if let (Some(body), Ok(json)) = (document.body(), serde_json::to_string(status)) {
        let _ = body.set_attribute("data-errata", &json);
    }
}

/// Offers `bytes` as a download named `name`.
pub fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
    let fail = |e: wasm_bindgen::JsValue| format!("the download could not start ({e:?}): {name}");
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let a = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into::<web_sys::HtmlAnchorElement>()
        .map_err(|_| format!("the download could not start: {name}"))?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// After a panic: the message on the page (over the dead canvas), with what is safe.
fn show_crash(info: &std::panic::PanicHookInfo<'_>) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let el = document.get_element_by_id("loading").or_else(|| {
        let el = document.create_element("div").ok()?;
        el.set_id("loading");
        document.body()?.append_child(&el).ok()?;
        Some(el)
    });
    if let Some(el) = el {
        el.set_text_content(Some(&format!(
            "errata crashed: {info}. Every label you saved is in this browser's storage: \
             reload the page to continue."
        )));
        let _ = el.set_attribute("class", "crashed");
    }
}

/// Starts errata on the canvas with id `errata_canvas`.
pub fn start() {
    eframe::WebLogger::init(log::LevelFilter::Info).ok();
    wasm_bindgen_futures::spawn_local(async {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            log::error!("no document");
            return;
        };
        let Some(canvas) = document
            .get_element_by_id("errata_canvas")
            .and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok())
        else {
            log::error!("no canvas with id errata_canvas");
            return;
        };
        let mut start = StartOptions::default();
        if let Some(search) = web_sys::window().and_then(|w| w.location().search().ok())
            && let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search)
        {
            start.urls.extend(params.get("url"));
            start.label_urls.extend(params.get("labels"));
        }
        let runner = eframe::WebRunner::new();
        // eframe's hook logs the panic; ours then puts it on the page
        let logged = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            logged(info);
            show_crash(info);
        }));
        let result = runner
            .start(
                canvas,
                eframe::WebOptions::default(),
                Box::new(move |cc| Ok(Box::new(ErrataApp::new(cc, start)))),
            )
            .await;
        let status = document.get_element_by_id("loading");
        match result {
            Ok(()) => {
                if let Some(s) = status {
                    s.remove();
                }
            }
            Err(e) => {
                if let Some(s) = status {
                    s.set_text_content(Some(&format!(
                        "errata could not start: {e:?}. It needs WebGL2."
                    )));
                    let _ = s.set_attribute("class", "failed");
                }
                log::error!("errata could not start: {e:?}");
            }
        }
    });
}

/// What browsers give one site in local storage, in UTF-16 characters (Chromium and Firefox
/// stop near 5 M); errata warns at [`STORAGE_WARN_SHARE`] of it.
pub const STORAGE_BUDGET_CHARS: usize = 5_000_000;
/// The share of [`STORAGE_BUDGET_CHARS`] at which the user is told to export.
pub const STORAGE_WARN_SHARE: f64 = 0.8;

thread_local! {
    static STORAGE_CHECK: RefCell<(f64, bool)> = const { RefCell::new((f64::NEG_INFINITY, false)) };
}

/// Characters errata's keys (and everything else of this site) hold in local storage.
pub fn storage_used() -> Option<usize> {
    let storage = web_sys::window()?.local_storage().ok()??;
    let n = storage.length().ok()?;
    let mut used = 0;
    for i in 0..n {
        if let Ok(Some(key)) = storage.key(i) {
            let value = storage.get_item(&key).ok().flatten().unwrap_or_default();
            used += key.encode_utf16().count() + value.encode_utf16().count();
        }
    }
    Some(used)
}

/// Every ten seconds, measures local storage; returns a warning the first time it passes the
/// warning share (and again after it fell below it), before writes start failing.
pub fn check_storage(now_secs: f64) -> Option<String> {
    STORAGE_CHECK.with(|c| {
        let mut c = c.borrow_mut();
        if now_secs - c.0 < 10.0 {
            return None;
        }
        c.0 = now_secs;
        let used = storage_used()?;
        let share = used as f64 / STORAGE_BUDGET_CHARS as f64;
        let over = share >= STORAGE_WARN_SHARE;
        let newly = over && !c.1;
        c.1 = over;
        newly.then(|| {
            format!(
                "browser storage is {:.0} % full ({:.1} of about {:.0} M characters): export \
                 your labels (File > Export labels…) and codebook (its window) before writes start to fail",
                share * 100.0,
                used as f64 / 1e6,
                STORAGE_BUDGET_CHARS as f64 / 1e6
            )
        })
    })
}
