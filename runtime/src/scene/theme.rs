//! Colours of the dark and light themes, and colour parsing.

use crate::config::Theme;

/// An RGBA colour in linear space (what the sRGB render target expects).
pub type Rgba = [f32; 4];

/// Converts one sRGB-encoded channel (0..1) to linear.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Parses `#rrggbb` or `#rrggbbaa` into a linear colour (None if malformed;
/// the schema has already checked the pattern).
pub fn parse_hex(s: &str) -> Option<Rgba> {
    let h = s.strip_prefix('#')?;
    if !(h.len() == 6 || h.len() == 8) || !h.is_ascii() {
        return None;
    }
    let byte = |i: usize| {
        u8::from_str_radix(&h[i..i + 2], 16)
            .ok()
            .map(|b| b as f32 / 255.0)
    };
    let a = if h.len() == 8 { byte(6)? } else { 1.0 };
    Some([
        srgb_to_linear(byte(0)?),
        srgb_to_linear(byte(2)?),
        srgb_to_linear(byte(4)?),
        a,
    ])
}

fn hex(s: &str) -> Rgba {
    // Only called on the literals below; the unit test parses every one.
    parse_hex(s).unwrap_or([1.0, 0.0, 1.0, 1.0])
}

/// The colours a frame is drawn with.
#[derive(Debug, Clone, PartialEq)]
pub struct Palette {
    /// Target background.
    pub background: Rgba,
    /// Grid lines.
    pub grid: Rgba,
    /// Axis lines and pane separators.
    pub axis: Rgba,
    /// Axis labels.
    pub text: Rgba,
    /// Title and legend labels.
    pub text_strong: Rgba,
    /// Rising bars.
    pub up: Rgba,
    /// Falling bars.
    pub down: Rgba,
    /// Colours given to series without one, in order.
    pub series: Vec<Rgba>,
    /// Background of the error banner.
    pub error_bg: Rgba,
}

impl Palette {
    /// The palette of a theme.
    pub fn of(theme: Theme) -> Palette {
        let series = [
            "#f5a623", "#4a90e2", "#e056fd", "#2ecc71", "#ff6b6b", "#00bcd4",
        ]
        .map(hex)
        .to_vec();
        match theme {
            Theme::Dark => Palette {
                background: hex("#131722"),
                grid: hex("#242833"),
                axis: hex("#434651"),
                text: hex("#b2b5be"),
                text_strong: hex("#d1d4dc"),
                up: hex("#26a69a"),
                down: hex("#ef5350"),
                series,
                error_bg: hex("#5c1a1bee"),
            },
            Theme::Light => Palette {
                background: hex("#ffffff"),
                grid: hex("#eef0f4"),
                axis: hex("#c9ccd4"),
                text: hex("#4c525e"),
                text_strong: hex("#131722"),
                up: hex("#089981"),
                down: hex("#f23645"),
                series,
                error_bg: hex("#fde0e0ee"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_colours() {
        assert_eq!(parse_hex("#ffffff"), Some([1.0, 1.0, 1.0, 1.0]));
        let c = parse_hex("#80000080").unwrap();
        assert!((c[0] - 0.2158).abs() < 1e-3 && (c[3] - 0.502).abs() < 1e-3);
        assert_eq!(parse_hex("ffffff"), None);
        assert_eq!(parse_hex("#ggg000"), None);
        for t in [Theme::Dark, Theme::Light] {
            let p = Palette::of(t);
            assert!(
                p.series
                    .iter()
                    .chain([&p.background, &p.up, &p.down])
                    .all(|c| c != &[1.0, 0.0, 1.0, 1.0])
            );
        }
    }
}
