//! Glyph atlas: glyphs of the bundled font rasterized on the CPU (ab_glyph)
//! into one coverage texture on first use, then drawn as textured quads.

use std::collections::HashMap;

use ab_glyph::{Font, GlyphId};

use crate::gpu::types::GlyphInstance;
use crate::scene::frame::TextItem;
use crate::scene::text::{font, layout_line};

/// Atlas side in pixels.
pub const ATLAS_SIZE: u32 = 1024;

#[derive(Debug, Clone, Copy)]
struct Slot {
    /// Offset of the bitmap from the pen position (left, top).
    offset: [f32; 2],
    size: [u32; 2],
    pos: [u32; 2],
}

/// CPU side of the atlas; the renderer uploads `pixels` when `dirty`.
pub struct GlyphAtlas {
    /// R8 coverage, ATLAS_SIZE².
    pub pixels: Vec<u8>,
    /// True when `pixels` changed since the last upload.
    pub dirty: bool,
    slots: HashMap<(GlyphId, u32), Option<Slot>>,
    cursor: [u32; 2],
    row_h: u32,
}

impl Default for GlyphAtlas {
    fn default() -> Self {
        GlyphAtlas {
            pixels: vec![0; (ATLAS_SIZE * ATLAS_SIZE) as usize],
            dirty: true,
            slots: HashMap::new(),
            cursor: [1, 1],
            row_h: 0,
        }
    }
}

impl GlyphAtlas {
    fn slot(&mut self, id: GlyphId, size_px: f32) -> Option<Slot> {
        // Sizes are quantised to quarter pixels so labels share glyphs.
        let key = (id, (size_px * 4.0).round() as u32);
        if let Some(s) = self.slots.get(&key) {
            return *s;
        }
        let f = font();
        let glyph = id.with_scale_and_position(size_px, ab_glyph::point(0.0, 0.0));
        let slot = f.outline_glyph(glyph).and_then(|og| {
            let b = og.px_bounds();
            let (w, h) = (b.width().ceil() as u32, b.height().ceil() as u32);
            if w == 0 || h == 0 || w + 2 > ATLAS_SIZE {
                return None;
            }
            if self.cursor[0] + w + 1 > ATLAS_SIZE {
                self.cursor = [1, self.cursor[1] + self.row_h + 1];
                self.row_h = 0;
            }
            if self.cursor[1] + h + 1 > ATLAS_SIZE {
                // Full: start over (rare: the UI uses a few hundred glyphs).
                self.pixels.fill(0);
                self.slots.clear();
                self.cursor = [1, 1];
                self.row_h = 0;
            }
            let pos = self.cursor;
            og.draw(|x, y, c| {
                let i = ((pos[1] + y) * ATLAS_SIZE + pos[0] + x) as usize;
                if let Some(p) = self.pixels.get_mut(i) {
                    *p = (c.clamp(0.0, 1.0) * 255.0).round() as u8;
                }
            });
            self.cursor[0] += w + 1;
            self.row_h = self.row_h.max(h);
            self.dirty = true;
            Some(Slot {
                offset: [b.min.x, b.min.y],
                size: [w, h],
                pos,
            })
        });
        self.slots.insert(key, slot);
        slot
    }

    /// Glyph quads for `items`, rasterizing glyphs not yet in the atlas.
    pub fn quads(&mut self, items: &[TextItem]) -> Vec<GlyphInstance> {
        let mut out = Vec::new();
        let scale = 1.0 / ATLAS_SIZE as f32;
        for item in items {
            let (glyphs, _) = layout_line(&item.text, item.size_px);
            // Whole-pixel pen positions keep small text crisp.
            let (x0, y0) = (item.x.round(), item.y.round());
            for g in glyphs {
                let Some(s) = self.slot(g.id, item.size_px) else {
                    continue;
                };
                let min = [(x0 + g.x + s.offset[0]).round(), y0 + s.offset[1].round()];
                out.push(GlyphInstance {
                    min,
                    max: [min[0] + s.size[0] as f32, min[1] + s.size[1] as f32],
                    uv_min: [s.pos[0] as f32 * scale, s.pos[1] as f32 * scale],
                    uv_max: [
                        (s.pos[0] + s.size[0]) as f32 * scale,
                        (s.pos[1] + s.size[1]) as f32 * scale,
                    ],
                    color: item.color,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quads_cover_rasterized_glyphs() {
        let mut atlas = GlyphAtlas::default();
        let items = [TextItem {
            text: "Hi 1".into(),
            x: 10.0,
            y: 20.0,
            size_px: 12.0,
            color: [1.0; 4],
        }];
        let q = atlas.quads(&items);
        assert_eq!(q.len(), 3, "the space has no bitmap");
        assert!(q[0].min[0] >= 10.0 && q[0].max[1] <= 21.0 && q[0].min[1] >= 20.0 - 12.0);
        let covered: u32 = atlas.pixels.iter().map(|&p| (p > 0) as u32).sum();
        assert!(covered > 30, "glyph bitmaps were drawn");
        // The same glyphs again reuse their slots.
        let before = atlas.pixels.clone();
        assert_eq!(atlas.quads(&items), q);
        assert_eq!(atlas.pixels, before);
    }
}
