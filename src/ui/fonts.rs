//! Every script drawn. Text is drawn with egui's default font; natively, a character it lacks
//! is drawn with a font the operating system has for it (egui's system font provider); last
//! come the fallback fonts under `assets/fonts/`: DejaVu Sans (arrows, symbols, Greek, Cyrillic,
//! Hebrew), Noto Emoji, and fonts for Arabic, Devanagari, Thai, Korean, Chinese and Japanese.
//! Natively those are compiled in, so a machine without fonts draws every script too; in the
//! browser each is fetched from the served `fonts/` folder the first time a trace shows a
//! character it is for, so the wasm module carries none of them.
//!
//! The fallbacks' state ([`Fallbacks`]) says which files are installed, which are on their way
//! and which characters no font has: the browser page publishes it, and the tests assert on it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use egui::epaint::text::{
    FallbackRequest, FontInsert, FontPriority, FontProvider, InsertFontFamily,
};

/// A fallback font file and the characters (inclusive code point ranges) it is wanted for.
struct Fallback {
    file: &'static str,
    ranges: &'static [(u32, u32)],
}

/// The fallback files in the order they are tried for a character.
const FALLBACKS: [Fallback; 7] = [
    Fallback {
        file: "DejaVuSans.ttf",
        ranges: &[
            (0x00A0, 0x058F), // Latin-1 to Armenian (Greek, Cyrillic…)
            (0x0590, 0x05FF), // Hebrew
            (0x10A0, 0x10FF), // Georgian
            (0x1D00, 0x1FFF), // phonetic extensions, Latin and Greek extended
            (0x2000, 0x2BFF), // punctuation, arrows, math, technical, boxes, shapes, symbols
            (0x2C60, 0x2E7F), // Latin extended-C, supplemental punctuation
            (0xA640, 0xA7FF), // Cyrillic extended-B, Latin extended-D
            (0xFB00, 0xFB4F), // ligatures, Hebrew presentation forms
            (0xFFF9, 0xFFFD), // specials (the replacement character)
        ],
    },
    Fallback {
        file: "NotoEmoji-Regular.ttf",
        ranges: &[
            (0x00A9, 0x00AE),
            (0x2000, 0x2BFF),
            (0x3030, 0x303D),
            (0x3297, 0x3299),
            (0x1F000, 0x1FAFF),
        ],
    },
    Fallback {
        file: "NotoSansArabic-Regular.ttf",
        ranges: &[
            (0x0600, 0x06FF),
            (0x0750, 0x077F),
            (0x0870, 0x08FF),
            (0xFB50, 0xFDFF),
            (0xFE70, 0xFEFF),
        ],
    },
    Fallback {
        file: "NotoSansDevanagari-Regular.ttf",
        ranges: &[(0x0900, 0x097F), (0x1CD0, 0x1CFF), (0xA8E0, 0xA8FF)],
    },
    Fallback {
        file: "NotoSansThai-Regular.ttf",
        ranges: &[(0x0E00, 0x0E7F)],
    },
    Fallback {
        file: "NanumGothic.ttf",
        ranges: &[(0x3130, 0x318F), (0xAC00, 0xD7AF)], // Hangul compatibility jamo, syllables
    },
    Fallback {
        file: "DroidSansFallbackFull.ttf",
        ranges: &[
            (0x1100, 0x11FF),   // Hangul jamo
            (0x2E80, 0x9FFF),   // CJK radicals, kana, bopomofo, CJK ideographs
            (0xA960, 0xA97F),   // Hangul jamo extended-A
            (0xF900, 0xFAFF),   // CJK compatibility ideographs
            (0xFE10, 0xFE4F),   // vertical forms, CJK compatibility forms
            (0xFF00, 0xFFEF),   // half- and full-width forms
            (0x20000, 0x2FFFF), // CJK extensions
        ],
    },
];

/// The fallback files to try for `c`, best first.
fn candidates(c: char) -> impl Iterator<Item = &'static str> {
    let c = u32::from(c);
    FALLBACKS
        .iter()
        .filter(move |f| f.ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c)))
        .map(|f| f.file)
}

/// The fallback file's bytes, compiled into the native binary.
#[cfg(not(target_arch = "wasm32"))]
fn bundled(file: &str) -> Option<&'static [u8]> {
    Some(match file {
        "DejaVuSans.ttf" => include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        "NotoEmoji-Regular.ttf" => include_bytes!("../../assets/fonts/NotoEmoji-Regular.ttf"),
        "NotoSansArabic-Regular.ttf" => {
            include_bytes!("../../assets/fonts/NotoSansArabic-Regular.ttf")
        }
        "NotoSansDevanagari-Regular.ttf" => {
            include_bytes!("../../assets/fonts/NotoSansDevanagari-Regular.ttf")
        }
        "NotoSansThai-Regular.ttf" => include_bytes!("../../assets/fonts/NotoSansThai-Regular.ttf"),
        "NanumGothic.ttf" => include_bytes!("../../assets/fonts/NanumGothic.ttf"),
        "DroidSansFallbackFull.ttf" => {
            include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf")
        }
        _ => return None,
    })
}

/// Whether the font in `bytes` has a glyph for `c` (false when it is not a font).
#[cfg(not(target_arch = "wasm32"))]
fn covers(bytes: &[u8], c: char) -> bool {
    use skrifa::MetadataProvider as _;
    skrifa::FontRef::new(bytes).is_ok_and(|font| font.charmap().map(c).is_some())
}

/// `file` as a fallback of both families, after everything else.
fn insert(file: &'static str, data: egui::FontData) -> FontInsert {
    FontInsert::new(
        file,
        data,
        [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
            .into_iter()
            .map(|family| InsertFontFamily {
                family,
                priority: FontPriority::Lowest,
            })
            .collect(),
    )
}

#[derive(Default)]
struct State {
    /// Files handed to egui.
    loaded: BTreeSet<&'static str>,
    /// Files being fetched (the browser).
    pending: BTreeSet<&'static str>,
    /// Files that could not be fetched, with why.
    failed: BTreeMap<&'static str, String>,
    /// Characters that no font has.
    missing: BTreeSet<char>,
}

/// The fallback fonts of one window: what is installed, on its way, or missing.
#[derive(Clone, Default)]
pub struct Fallbacks(Arc<Mutex<State>>);

/// [`Fallbacks`] in a few words, for the page's status and the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FontReport {
    /// Fallback files installed, by name.
    pub loaded: Vec<String>,
    /// Fallback files being fetched.
    pub pending: Vec<String>,
    /// Files that could not be fetched, with why.
    pub failed: Vec<String>,
    /// Characters that no font could draw (shown as boxes).
    pub missing: String,
}

impl Fallbacks {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is installed, on its way and missing.
    pub fn report(&self) -> FontReport {
        let s = self.lock();
        FontReport {
            loaded: s.loaded.iter().map(|f| (*f).to_owned()).collect(),
            pending: s.pending.iter().map(|f| (*f).to_owned()).collect(),
            failed: s.failed.iter().map(|(f, e)| format!("{f}: {e}")).collect(),
            missing: s.missing.iter().collect(),
        }
    }

    /// The provider that installs these fallbacks on demand: natively from the binary, in the
    /// browser fetched from `fonts/` next to the page (then added to `ctx`).
    pub fn provider(&self, ctx: &egui::Context) -> Arc<dyn FontProvider> {
        Arc::new(OnDemand {
            state: self.clone(),
            ctx: ctx.clone(),
        })
    }
}

struct OnDemand {
    state: Fallbacks,
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    ctx: egui::Context,
}

impl FontProvider for OnDemand {
    /// Natively: the first bundled file with the glyph. egui drops discovered fonts whenever
    /// its fonts change and asks again, so a file handed over before is handed over again.
    #[cfg(not(target_arch = "wasm32"))]
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let mut state = self.state.lock();
        for file in candidates(c) {
            if let Some(bytes) = bundled(file).filter(|bytes| covers(bytes, c)) {
                state.loaded.insert(file);
                return Some(insert(file, egui::FontData::from_static(bytes)));
            }
        }
        state.missing.insert(c);
        None
    }

    /// In the browser: fetches the first candidate not fetched yet and answers `None`; the
    /// fetched font is added to egui's own fonts (kept across reloads), which lays the text out
    /// again and asks here only for what that font lacked.
    #[cfg(target_arch = "wasm32")]
    fn font_for(&self, request: &FallbackRequest<'_>) -> Option<FontInsert> {
        let c = request.cluster.chars().next()?;
        let mut state = self.state.lock();
        for file in candidates(c) {
            if state.loaded.contains(file) || state.failed.contains_key(file) {
                continue; // installed (so without this glyph), or unreachable
            }
            if !state.pending.contains(file) {
                state.pending.insert(file);
                drop(state);
                fetch(&self.ctx, &self.state, file);
            }
            return None; // asked again once it has arrived
        }
        state.missing.insert(c);
        None
    }
}

/// Fetches `fonts/<file>` from the page's folder and adds it to `ctx` (egui lays the text out
/// again with it).
#[cfg(target_arch = "wasm32")]
fn fetch(ctx: &egui::Context, fallbacks: &Fallbacks, file: &'static str) {
    const LIMIT: usize = 16 << 20;
    let (ctx, fallbacks) = (ctx.clone(), fallbacks.clone());
    let request = ehttp::Request::get(format!("fonts/{file}"));
    crate::net::fetch(request, LIMIT, move |result| {
        let font = result.and_then(|r| {
            if !r.ok {
                Err(format!("{} {}", r.status, r.status_text))
            } else if skrifa::FontRef::new(&r.bytes).is_err() {
                Err("not a font file".to_owned())
            } else {
                Ok(r.bytes)
            }
        });
        {
            let mut state = fallbacks.lock();
            state.pending.remove(file);
            match &font {
                Ok(_) => state.loaded.insert(file),
                Err(e) => {
                    log::warn!("the font fonts/{file} could not be fetched: {e}");
                    state.failed.insert(file, e.clone());
                    false
                }
            };
        }
        if let Ok(bytes) = font {
            ctx.add_font(insert(file, egui::FontData::from_owned(bytes)));
        }
        ctx.request_repaint();
    });
}

/// Installs the fallbacks on `ctx` (once, when the app starts) and returns their state.
pub fn install(ctx: &egui::Context) -> Fallbacks {
    let fallbacks = Fallbacks::default();
    #[cfg(not(target_arch = "wasm32"))]
    ctx.add_font_provider(Arc::new(
        egui_system_font_provider::SystemFontProvider::new(),
    ));
    ctx.add_font_provider(fallbacks.provider(ctx));
    fallbacks
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A character of each script the fallbacks are for.
    const SAMPLES: &str = "→✓•€Ωжשא ب न ก 中文 日本語 かな 한국어 😀🚀";

    #[test]
    fn each_script_has_a_candidate() {
        for c in SAMPLES.chars().filter(|c| !c.is_whitespace()) {
            assert!(candidates(c).next().is_some(), "no fallback for {c:?}");
        }
        assert_eq!(candidates('a').count(), 0, "ASCII is egui's own");
        assert_eq!(
            candidates('中').collect::<Vec<_>>(),
            ["DroidSansFallbackFull.ttf"]
        );
    }

    /// The browser fetches the first candidate first: it must be the one with the glyph, or
    /// a trace waits for two downloads.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn the_first_candidate_has_the_glyph() {
        for c in SAMPLES.chars().filter(|c| !c.is_whitespace()) {
            let first = candidates(c).next().unwrap_or_default();
            let bytes = bundled(first).unwrap_or_default();
            assert!(covers(bytes, c), "{first} lacks {c:?}");
        }
        assert!(!covers(b"not a font", 'a'));
    }

    /// Counts the points of a glyph's outline.
    #[cfg(not(target_arch = "wasm32"))]
    #[derive(Default)]
    struct Points(usize);

    #[cfg(not(target_arch = "wasm32"))]
    impl skrifa::outline::OutlinePen for Points {
        fn move_to(&mut self, _: f32, _: f32) {
            self.0 += 1;
        }
        fn line_to(&mut self, _: f32, _: f32) {
            self.0 += 1;
        }
        fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {
            self.0 += 1;
        }
        fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {
            self.0 += 1;
        }
        fn close(&mut self) {}
    }

    /// Letters that are blank by design.
    #[cfg(not(target_arch = "wasm32"))]
    const HANGUL_FILLERS: [char; 4] = ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}'];

    /// A font that maps a character to an empty glyph draws a blank where another font in the
    /// chain has the letter (NanumSquare maps 4,620 CJK ideographs to nothing: Chinese after a
    /// Korean trace read as gaps). Every letter each file is fetched for must have an outline.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn every_letter_a_fallback_is_for_has_an_outline() {
        use skrifa::MetadataProvider as _;
        use skrifa::outline::DrawSettings;
        for fallback in &FALLBACKS {
            let bytes = bundled(fallback.file).unwrap_or_default();
            let font =
                skrifa::FontRef::new(bytes).unwrap_or_else(|e| panic!("{}: {e}", fallback.file));
            let (charmap, outlines) = (font.charmap(), font.outline_glyphs());
            let settings = || {
                DrawSettings::unhinted(
                    skrifa::instance::Size::unscaled(),
                    skrifa::instance::LocationRef::default(),
                )
            };
            let mut blank = Vec::new();
            let mut checked = 0;
            for &(lo, hi) in fallback.ranges {
                for c in (lo..=hi)
                    .filter_map(char::from_u32)
                    .filter(|c| c.is_alphanumeric() && !HANGUL_FILLERS.contains(c))
                {
                    let Some(gid) = charmap.map(c) else { continue };
                    checked += 1;
                    let mut pen = Points::default();
                    let drawn = outlines.get(gid).map(|o| o.draw(settings(), &mut pen));
                    if !matches!(drawn, Some(Ok(_))) || pen.0 == 0 {
                        blank.push(c);
                    }
                }
            }
            assert!(
                blank.is_empty(),
                "{}: {} of {checked} letters are blank, e.g. {:?}",
                fallback.file,
                blank.len(),
                blank.iter().take(8).collect::<String>()
            );
        }
    }

    #[test]
    fn an_uncovered_character_is_reported_missing() {
        let ctx = egui::Context::default();
        let fallbacks = Fallbacks::default();
        let provider = fallbacks.provider(&ctx);
        let family = egui::FontFamily::Proportional;
        let ask = |cluster: &str| {
            provider.font_for(&FallbackRequest {
                cluster,
                family: &family,
            })
        };
        assert!(ask("\u{E000}").is_none());
        assert_eq!(fallbacks.report().missing, "\u{E000}");
        #[cfg(not(target_arch = "wasm32"))]
        {
            let arabic = ask("ب").map(|f| f.name);
            assert_eq!(arabic.as_deref(), Some("NotoSansArabic-Regular.ttf"));
            assert_eq!(fallbacks.report().loaded, ["NotoSansArabic-Regular.ttf"]);
        }
    }
}
