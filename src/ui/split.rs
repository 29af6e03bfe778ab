//! Proportional splits: a resizable panel keeps its *share* of the space it is carved from when
//! the window (or a neighbouring panel) changes that space, instead of keeping its width in
//! pixels and squeezing whatever is beside it. Dragging the panel's edge sets the share.
//!
//! egui remembers a panel's size in its own persisted state ([`egui::containers::panel::PanelState`]
//! under the panel's id); this module reads it to learn the share after a drag and rewrites it
//! when the space changed.

use egui::containers::panel::PanelState;

/// One panel's share of its space, kept across frames and runs (in the settings).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Share {
    /// The panel's size over the space it is carved from, 0.05–0.95.
    pub fraction: f32,
    /// The space the last frame had (0 before the first).
    #[serde(skip)]
    space: f32,
}

impl Default for Share {
    fn default() -> Self {
        Share::new(0.5)
    }
}

impl Share {
    /// A share of `fraction`.
    pub const fn new(fraction: f32) -> Self {
        Share {
            fraction,
            space: 0.0,
        }
    }

    /// The size the panel should have in `space`.
    pub fn of(&self, space: f32) -> f32 {
        (self.fraction.clamp(0.05, 0.95) * space).round()
    }

    /// The decision for one frame, apart from egui: the panel was `size` last frame (if it was
    /// shown) and the space is now `space`. Returns the size to give it, when it must change;
    /// otherwise learns the share from `size` (the user may have dragged the edge).
    pub fn update(&mut self, size: Option<f32>, space: f32) -> Option<f32> {
        let before = std::mem::replace(&mut self.space, space);
        let size = size?;
        if space < 1.0 {
            return None;
        }
        if before > 0.0 && (space - before).abs() >= 1.0 {
            let wanted = self.of(space);
            return ((wanted - size).abs() >= 1.0).then_some(wanted);
        }
        if before > 0.0 {
            self.fraction = (size / space).clamp(0.05, 0.95);
        }
        None
    }

    /// Call just before showing the resizable panel `salt` in `ui` on the side `side` (the
    /// panel's `default_size` should be [`Share::of`] the space): keeps the panel at its share
    /// when the space changed, and learns the share after a drag.
    pub fn keep(&mut self, ui: &egui::Ui, salt: impl egui::AsIdSalt, vertical: bool) {
        let axis = usize::from(vertical);
        let space = ui.available_rect_before_wrap().size()[axis];
        let id = ui.scope_id().with(salt);
        let state = PanelState::load(ui.ctx(), id);
        let size = state.map(|s| s.size()[axis]);
        if let (Some(state), Some(wanted)) = (state, self.update(size, space)) {
            let mut size = state.outer_rect.size();
            size[axis] = wanted;
            let outer_rect = egui::Rect::from_min_size(state.outer_rect.min, size);
            ui.ctx()
                .data_mut(|d| d.insert_persisted(id, PanelState { outer_rect }));
        }
    }
}

/// The shares of the main window's splits.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Layout {
    /// The trace table's share of the window's height (the detail below takes the rest).
    pub table: Share,
    /// The input's share of the detail's width (the output takes the rest).
    pub input: Share,
    /// The metadata's share of the detail's height.
    pub metadata: Share,
    /// The span tree's share of the detail's height (agent traces).
    pub spans: Share,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            table: Share::new(0.42),
            input: Share::new(0.5),
            metadata: Share::new(0.2),
            spans: Share::new(0.35),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_learnt_from_a_drag_and_kept_when_the_space_changes() {
        let mut s = Share::new(0.5);
        assert_eq!(
            s.update(None, 1000.0),
            None,
            "first frame: the default size"
        );
        assert_eq!(s.update(Some(500.0), 1000.0), None);
        // the user drags the edge to 300 px of 1000
        assert_eq!(s.update(Some(300.0), 1000.0), None);
        assert!((s.fraction - 0.3).abs() < 1e-6);
        // the window shrinks to 600: the panel goes to 180, not 300
        assert_eq!(s.update(Some(300.0), 600.0), Some(180.0));
        assert_eq!(s.update(Some(180.0), 600.0), None);
        assert!((s.fraction - 0.3).abs() < 1e-6, "the share is unchanged");
        // and grows again to 1600
        assert_eq!(s.update(Some(180.0), 1600.0), Some(480.0));
    }

    #[test]
    fn shares_stay_within_bounds() {
        let mut s = Share::new(0.5);
        s.update(Some(10.0), 1000.0);
        s.update(Some(1.0), 1000.0);
        assert!((s.fraction - 0.05).abs() < 1e-6);
        assert_eq!(s.of(1000.0), 50.0);
        assert_eq!(Share::new(2.0).of(100.0), 95.0);
        assert_eq!(
            s.update(Some(50.0), 0.0),
            None,
            "no space: nothing to decide"
        );
    }
}
