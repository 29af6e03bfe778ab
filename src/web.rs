//! The browser entry: starts the same app on the page's canvas, with `?url=` support.

use wasm_bindgen::JsCast as _;

use crate::app::{ErrataApp, StartOptions};

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
            && let Some(url) = params.get("url")
        {
            start.urls.push(url);
        }
        let result = eframe::WebRunner::new()
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
                    s.set_inner_html(&format!("errata could not start: {e:?}. It needs WebGL2."));
                }
                log::error!("errata could not start: {e:?}");
            }
        }
    });
}
