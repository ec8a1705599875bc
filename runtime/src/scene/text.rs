//! Text layout with the bundled font (DejaVu Sans, see
//! `runtime/assets/DejaVuSans-LICENSE.txt`), through `ab_glyph`. The scene
//! measures text here; the GPU text renderer rasterizes the same glyphs.

use ab_glyph::{Font, FontRef, GlyphId, ScaleFont};
use std::sync::OnceLock;

static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The bundled font.
pub fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    // The bytes are compiled in and known to be a valid font; a failure here
    // is a build defect, caught by the tests.
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).expect("bundled font parses"))
}

/// One positioned glyph: id, pen position (left, baseline) in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedGlyph {
    /// Glyph id in the bundled font.
    pub id: GlyphId,
    /// Pen x of the glyph origin.
    pub x: f32,
}

/// Lays out one line of text at `size_px`; returns glyphs and the advance width.
pub fn layout_line(text: &str, size_px: f32) -> (Vec<PlacedGlyph>, f32) {
    let f = font().as_scaled(size_px);
    let mut x = 0.0f32;
    let mut prev: Option<GlyphId> = None;
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let id = f.glyph_id(ch);
        if let Some(p) = prev {
            x += f.kern(p, id);
        }
        out.push(PlacedGlyph { id, x });
        x += f.h_advance(id);
        prev = Some(id);
    }
    (out, x)
}

/// Advance width of `text` at `size_px`.
pub fn measure(text: &str, size_px: f32) -> f32 {
    layout_line(text, size_px).1
}

/// Ascent (above the baseline) at `size_px`.
pub fn ascent(size_px: f32) -> f32 {
    font().as_scaled(size_px).ascent()
}

/// Descent (below the baseline, negative) at `size_px`.
pub fn descent(size_px: f32) -> f32 {
    font().as_scaled(size_px).descent()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_grow_with_text_and_size() {
        let a = measure("2012", 12.0);
        assert!(
            a > 20.0 && a < 40.0,
            "four digits at 12px are ~30px wide, got {a}"
        );
        assert!((measure("2012", 24.0) - 2.0 * a).abs() < 0.01);
        assert_eq!(measure("", 12.0), 0.0);
        assert!(ascent(12.0) > 8.0 && descent(12.0) < 0.0);
    }
}
