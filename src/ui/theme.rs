//! Colours and sizes in one place.

use egui::Color32;

/// Height of a table row, in points.
pub const ROW_HEIGHT: f32 = 20.0;
/// Characters kept in a table preview cell.
pub use crate::workspace::PREVIEW_CHARS;
/// The size a large window (codebook, axial coding, judge) opens at: most of the screen.
pub fn large_window(ctx: &egui::Context) -> egui::Vec2 {
    let screen = ctx.content_rect().size();
    egui::vec2((screen.x * 0.85).max(640.0), (screen.y * 0.8).max(420.0))
}

/// Below this width the chart folds to a strip beside the table (the table keeps its columns).
pub const FOLD_CHART_BELOW: f32 = 1360.0;

/// Font size of the final answer in the output pane (the body text is 12.5).
pub const FINAL_ANSWER_SIZE: f32 = 15.0;
/// Characters of one text shown before a "show all" button (keeps huge fields from stalling a frame).
pub const TEXT_SHOWN_CHARS: usize = 100_000;
/// Children of a JSON array or object shown before "… N more".
pub const JSON_CHILDREN_SHOWN: usize = 200;

/// Accent colour of a conversation role.
pub fn role_color(role: &str, dark: bool) -> Color32 {
    let r = role.to_ascii_lowercase();
    let (light, dark_c) = if crate::trace::content::is_assistant(&r) {
        (
            Color32::from_rgb(0x1f, 0x6f, 0xb2),
            Color32::from_rgb(0x6c, 0xb4, 0xf0),
        )
    } else if r == "user" || r == "human" {
        (
            Color32::from_rgb(0x2e, 0x7d, 0x32),
            Color32::from_rgb(0x81, 0xc7, 0x84),
        )
    } else if r == "system" || r == "developer" {
        (
            Color32::from_rgb(0x6d, 0x4c, 0x41),
            Color32::from_rgb(0xbc, 0xaa, 0xa4),
        )
    } else if r == "tool" || r == "function" {
        (
            Color32::from_rgb(0x8e, 0x24, 0xaa),
            Color32::from_rgb(0xce, 0x93, 0xd8),
        )
    } else {
        (
            Color32::from_rgb(0x61, 0x61, 0x61),
            Color32::from_rgb(0xbd, 0xbd, 0xbd),
        )
    };
    if dark { dark_c } else { light }
}

/// Colour of error messages.
pub fn error_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xff, 0x8a, 0x80)
    } else {
        Color32::from_rgb(0xc6, 0x28, 0x28)
    }
}

/// Colour of warnings.
pub fn warn_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xff, 0xcc, 0x80)
    } else {
        Color32::from_rgb(0xb2, 0x6a, 0x00)
    }
}

/// Tells the chips the codebook's order: the n-th category gets the n-th colour of a
/// golden-ratio palette, so that colours stay apart however many categories there are.
pub fn set_category_order(ctx: &egui::Context, names: Vec<String>) {
    ctx.data_mut(|d| d.insert_temp(order_id(), std::sync::Arc::new(names)));
}

fn order_id() -> egui::Id {
    egui::Id::unique("errata-category-order")
}

/// A category's colour: by its place in the codebook (see [`set_category_order`]), or, for a
/// name the codebook lacks, a stable colour from the name.
pub fn chip_color(ctx: &egui::Context, name: &str, dark: bool) -> Color32 {
    let order = ctx.data(|d| d.get_temp::<std::sync::Arc<Vec<String>>>(order_id()));
    let (hue, band) = match order.and_then(|o| o.iter().position(|n| n == name)) {
        // golden-ratio steps around the wheel; every 8 a lighter or darker band
        Some(i) => ((i as f32 * 0.618_034).fract(), i / 8 % 3),
        None => {
            // FNV's low bits barely differ between similar names: mix, then pick a hue
            let h =
                crate::trace::store::fnv1a64(name.as_bytes()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (((h >> 60) as f32 + 0.5) / 16.0, 0)
        }
    };
    let (s, v) = match (dark, band) {
        (true, 0) => (0.55, 0.80),
        (true, 1) => (0.35, 0.95),
        (true, _) => (0.75, 0.65),
        (false, 0) => (0.65, 0.60),
        (false, 1) => (0.45, 0.75),
        (false, _) => (0.85, 0.45),
    };
    egui::ecolor::Hsva::new(hue, s, v, 1.0).into()
}

/// Colour of a verdict.
pub fn verdict_color(fail: bool, dark: bool) -> Color32 {
    match (fail, dark) {
        (true, true) => Color32::from_rgb(0xff, 0x8a, 0x80),
        (true, false) => Color32::from_rgb(0xc6, 0x28, 0x28),
        (false, true) => Color32::from_rgb(0x81, 0xc7, 0x84),
        (false, false) => Color32::from_rgb(0x2e, 0x7d, 0x32),
    }
}

/// JSON objects and arrays deeper than this start closed in a tree.
pub const JSON_OPEN_DEPTH: usize = 2;

/// A JSON value's colour by kind: strings, numbers, booleans, null.
pub fn json_color(v: &serde_json::Value, dark: bool) -> Color32 {
    use serde_json::Value;
    match (v, dark) {
        (Value::String(_), true) => Color32::from_rgb(0xa5, 0xd6, 0xa7),
        (Value::String(_), false) => Color32::from_rgb(0x2e, 0x7d, 0x32),
        (Value::Number(_), true) => Color32::from_rgb(0x90, 0xca, 0xf9),
        (Value::Number(_), false) => Color32::from_rgb(0x15, 0x65, 0xc0),
        (Value::Bool(_), true) => Color32::from_rgb(0xff, 0xcc, 0x80),
        (Value::Bool(_), false) => Color32::from_rgb(0xe6, 0x51, 0x00),
        (_, true) => Color32::from_gray(0x9e),
        (_, false) => Color32::from_gray(0x75),
    }
}

/// Backgrounds of removed and added words in a comparison.
pub fn diff_colors(dark: bool) -> (Color32, Color32) {
    if dark {
        (
            Color32::from_rgb(0x6b, 0x24, 0x24),
            Color32::from_rgb(0x1f, 0x5a, 0x2a),
        )
    } else {
        (
            Color32::from_rgb(0xff, 0xcd, 0xd2),
            Color32::from_rgb(0xc8, 0xe6, 0xc9),
        )
    }
}

/// Background of search matches.
pub fn highlight_color() -> Color32 {
    Color32::from_rgb(0xff, 0xd5, 0x4f)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn codebook_colours_stay_apart() {
        let ctx = egui::Context::default();
        let names: Vec<String> = (0..12).map(|i| format!("category {i}")).collect();
        set_category_order(&ctx, names.clone());
        for dark in [false, true] {
            let colours: Vec<[f32; 3]> = names
                .iter()
                .map(|n| {
                    let c = egui::Rgba::from(chip_color(&ctx, n, dark));
                    [c.r(), c.g(), c.b()]
                })
                .collect();
            for i in 0..colours.len() {
                for j in i + 1..colours.len() {
                    let d: f32 = (0..3)
                        .map(|k| (colours[i][k] - colours[j][k]).powi(2))
                        .sum();
                    assert!(d.sqrt() > 0.05, "{i} and {j} look alike (dark {dark})");
                }
            }
        }
        // a name the codebook lacks still has a stable colour
        assert_eq!(
            chip_color(&ctx, "other", false),
            chip_color(&ctx, "other", false)
        );
    }
}
