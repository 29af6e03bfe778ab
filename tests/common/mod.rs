//! Helpers shared by the kittest suites that drive the coding loop and the weekly cadence.

#![allow(dead_code, clippy::unwrap_used)] // each suite uses some of them

use egui::Key;
use egui_kittest::Harness;
use errata::app::{ErrataApp, StartOptions};

pub fn root(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("errata-ui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

pub fn app(root: &std::path::Path) -> Harness<'static, ErrataApp> {
    app_opening(root, Vec::new())
}

/// The app (author "ana") opening `paths`, its projects under `root`.
pub fn app_opening(
    root: &std::path::Path,
    paths: Vec<std::path::PathBuf>,
) -> Harness<'static, ErrataApp> {
    let start = StartOptions {
        paths,
        project_root: Some(root.to_path_buf()),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_eframe(move |cc| {
            let mut app = ErrataApp::new(cc, start);
            app.settings.author = "ana".into();
            app
        });
    h.run_steps(3);
    h
}

pub fn press(h: &mut Harness<'_, ErrataApp>, key: Key) {
    h.key_press(key);
    h.run_steps(2);
}

pub fn type_text(h: &mut Harness<'_, ErrataApp>, text: &str) {
    h.event(egui::Event::Text(text.to_owned()));
    h.run_steps(2);
}

pub fn state(h: &Harness<'_, ErrataApp>, id: &str) -> Option<errata::coding::LabelEvent> {
    h.state().ws.project.as_ref().unwrap().state(id).cloned()
}

pub fn wait_for_jobs(h: &mut Harness<'_, ErrataApp>) {
    for _ in 0..500 {
        h.step();
        if h.state().job.is_none() && !h.state().ws.data.as_ref().is_some_and(|d| d.querying) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    h.run_steps(3);
}

/// What the app put on the clipboard in the next few frames.
pub fn copied(h: &mut Harness<'_, ErrataApp>) -> Option<String> {
    let mut out = None;
    for _ in 0..3 {
        h.step();
        for c in &h.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(t) = c {
                out = Some(t.clone());
            }
        }
    }
    out
}
