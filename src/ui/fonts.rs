//! Every script drawn: after egui's default font come two bundled fallbacks (DejaVu Sans for
//! arrows, symbols, Greek, Cyrillic, Hebrew; Noto Emoji), then egui's system font provider,
//! which finds an installed font for any other script (CJK, Arabic, Devanagari…) when a trace
//! needs it. Natively only: the browser build keeps its module small (see the README).

/// Installs the fallbacks on `ctx` (once, when the app starts).
#[cfg(not(target_arch = "wasm32"))]
pub fn install(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    const BUNDLED: [(&str, &[u8]); 2] = [
        (
            "DejaVuSans",
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        ),
        (
            "NotoEmoji",
            include_bytes!("../../assets/fonts/NotoEmoji-Regular.ttf"),
        ),
    ];
    for (name, bytes) in BUNDLED {
        ctx.add_font(FontInsert::new(
            name,
            egui::FontData::from_static(bytes),
            [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
                .into_iter()
                .map(|family| InsertFontFamily {
                    family,
                    priority: FontPriority::Lowest,
                })
                .collect(),
        ));
    }
    ctx.add_font_provider(std::sync::Arc::new(
        egui_system_font_provider::SystemFontProvider::new(),
    ));
}

/// The browser: egui's default fonts only, for now.
#[cfg(target_arch = "wasm32")]
pub fn install(ctx: &egui::Context) {
    let _ = ctx;
}
