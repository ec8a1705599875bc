//! The error banner: when a live reload fails, the window keeps drawing the
//! last good chart and lays the error over its top edge, in the same words
//! as stderr (file:line:column, key path, message, help).

use super::frame::{FrameScene, TextItem};
use super::text;
use super::theme::Palette;
use crate::gpu::types::RectInstance;

/// Largest share of the window height the banner may cover.
const MAX_HEIGHT_SHARE: f32 = 0.6;

/// Lays `message` (several lines) over the top of `scene`: a full-width
/// box in the palette's error colour with the text wrapped to the width.
/// Lines that do not fit are replaced by a last line saying how many were
/// left out (the full text is on stderr).
pub fn error_banner(scene: &mut FrameScene, palette: &Palette, message: &str, pixel_ratio: f32) {
    let r = pixel_ratio.max(0.25);
    let (w, h) = (scene.size[0] as f32, scene.size[1] as f32);
    let font = 13.0 * r;
    let line_h = font * 1.4;
    let pad = 10.0 * r;
    let stripe = 4.0 * r;
    let text_w = (w - 2.0 * pad - stripe).max(font * 4.0);
    let mut lines = wrap(message, font, text_w);
    let fit = (((h * MAX_HEIGHT_SHARE - 2.0 * pad) / line_h).floor() as usize).max(2);
    if lines.len() > fit {
        let hidden = lines.len() - (fit - 1);
        lines.truncate(fit - 1);
        lines.push(format!(
            "… {hidden} more line{} (the full error is on stderr)",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    let box_h = 2.0 * pad + lines.len() as f32 * line_h;
    // Text is drawn above every rectangle: drop the chart's labels the
    // banner covers, or they would show through it.
    scene.texts.retain(|t| t.y - t.size_px >= box_h);
    scene.over.push(RectInstance {
        min: [0.0, 0.0],
        max: [w, box_h],
        color: palette.error_bg,
    });
    scene.over.push(RectInstance {
        min: [0.0, 0.0],
        max: [stripe, box_h],
        color: palette.down,
    });
    for (k, line) in lines.into_iter().enumerate() {
        scene.texts.push(TextItem {
            text: line,
            x: stripe + pad,
            y: pad + (k as f32 + 0.75) * line_h,
            size_px: font,
            color: palette.text_strong,
        });
    }
}

/// Splits `message` into lines no wider than `width` at `size_px`: at its
/// own line breaks, then between words, and inside a word only when the word
/// alone is too wide (a long path). Tabs become four spaces.
pub fn wrap(message: &str, size_px: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for raw in message.replace('\t', "    ").lines() {
        let indent: String = raw.chars().take_while(|c| *c == ' ').collect();
        let mut line = String::new();
        for word in raw.trim_start().split(' ') {
            let candidate = if line.is_empty() {
                format!("{indent}{word}")
            } else {
                format!("{line} {word}")
            };
            if text::measure(&candidate, size_px) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // The word alone: break it by characters if it is still too wide.
            let mut piece = String::new();
            for ch in word.chars() {
                piece.push(ch);
                if text::measure(&piece, size_px) > width && piece.chars().count() > 1 {
                    piece.pop();
                    out.push(std::mem::take(&mut piece));
                    piece.push(ch);
                }
            }
            line = piece;
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Theme;
    use crate::scene::theme::Palette;
    use crate::scene::types::ViewRange;

    fn blank(size: [u32; 2]) -> FrameScene {
        FrameScene {
            size,
            clear: [0.0; 4],
            under: Vec::new(),
            series: Vec::new(),
            over: Vec::new(),
            texts: Vec::new(),
            panes: Vec::new(),
            view: ViewRange { x0: 0.0, x1: 1.0 },
        }
    }

    const ERR: &str = "error: unknown chart type `candel`\n  --> /charts/aapl.toml:12:8\n   |\n12 | kind = \"candel\"\n   |        ^^^^^^^^ did you mean `candle`?\n  = help: installed chart types: candle, line, volume";

    #[test]
    fn banner_shows_every_line_within_the_width() {
        let mut scene = blank([800, 600]);
        let pal = Palette::of(Theme::Dark);
        error_banner(&mut scene, &pal, ERR, 1.0);
        let texts: Vec<&str> = scene.texts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts[0], "error: unknown chart type `candel`");
        assert!(texts.contains(&"  --> /charts/aapl.toml:12:8"), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.contains("help: installed chart types"))
        );
        for t in &scene.texts {
            assert!(
                t.x + text::measure(&t.text, t.size_px) <= 800.0,
                "{}",
                t.text
            );
        }
        // One box across the width, tall enough for all lines, error colour.
        let bg = scene.over[0];
        assert_eq!((bg.min, bg.color), ([0.0, 0.0], pal.error_bg));
        assert_eq!(bg.max[0], 800.0);
        let last = scene.texts.last().map_or(0.0, |t| t.y);
        assert!(bg.max[1] > last, "{} <= {last}", bg.max[1]);
    }

    #[test]
    fn chart_labels_under_the_banner_are_hidden_and_the_others_kept() {
        let mut scene = blank([800, 600]);
        let label = |text: &str, y: f32| TextItem {
            text: text.into(),
            x: 10.0,
            y,
            size_px: 12.0,
            color: [1.0; 4],
        };
        scene.texts.push(label("title", 20.0));
        scene.texts.push(label("axis", 580.0));
        error_banner(&mut scene, &Palette::of(Theme::Dark), "error: x", 1.0);
        let texts: Vec<&str> = scene.texts.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["axis", "error: x"]);
    }

    #[test]
    fn long_lines_wrap_and_long_paths_break() {
        let path = "/very/long/path/".repeat(20);
        let msg = format!("error: could not read `{path}` because the disk said no");
        let lines = wrap(&msg, 13.0, 300.0);
        assert!(lines.len() >= 4, "{lines:?}");
        for l in &lines {
            assert!(text::measure(l, 13.0) <= 300.0, "{l}");
        }
        // Nothing is lost but the spaces the wrap broke at.
        let joined: String = lines.concat();
        assert_eq!(joined.replace(' ', ""), msg.replace(' ', ""));
    }

    #[test]
    fn too_many_lines_are_counted_not_drawn() {
        let msg: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let mut scene = blank([640, 300]);
        error_banner(&mut scene, &Palette::of(Theme::Light), &msg, 1.0);
        let last = &scene
            .texts
            .last()
            .map(|t| t.text.clone())
            .unwrap_or_default();
        let shown = scene.texts.len() - 1;
        assert_eq!(
            last,
            &format!("… {} more lines (the full error is on stderr)", 200 - shown)
        );
        assert!(scene.over[0].max[1] <= 300.0 * MAX_HEIGHT_SHARE + 1.0);
        assert_eq!(scene.texts[0].text, "line 0");
    }
}
