//! Column widths: the defaults fit the template's values (CSS), and the user can drag (or
//! use arrow keys on) the handle at a header's right edge; widths are remembered per plan
//! in this browser.

use crate::model::{column_index, Field, PlanId};
use crate::ui::editor::state::PlanContext;
use leptos::prelude::*;
use std::collections::HashMap;

/// Where widths are kept: `{"<plan id>": [item, category, priority, owner, status, notes]}`
/// in pixels, `0` for "the default".
const WIDTHS_KEY: &str = "syncplan.columns";
const MIN_WIDTH: u16 = 48;
const MAX_WIDTH: u16 = 1600;
/// Default widths in pixels (as the stylesheet sets them at 15px per rem), used to work out
/// the table's minimum width once the user changed some.
const DEFAULTS: [u16; 6] = [180, 195, 84, 112, 129, 210];
const NUMBER_COLUMN: u16 = 39;

#[derive(Clone, Copy)]
pub struct ColumnWidths {
    widths: RwSignal<[u16; 6]>,
    plan: PlanContext,
}

impl ColumnWidths {
    /// Widths for the open plan, loaded after hydration and again when the plan changes.
    pub fn provide(plan: PlanContext) -> ColumnWidths {
        let widths = ColumnWidths {
            widths: RwSignal::new([0; 6]),
            plan,
        };
        if !plan.read_only {
            Effect::new(move |_| {
                let id = plan.active_id.get();
                widths.widths.set(load(&id));
            });
        }
        provide_context(widths);
        widths
    }

    /// Sets a CSS variable on `table` per column the user sized (through the CSS object
    /// model: the Content-Security-Policy allows no inline `style` attributes).
    pub fn apply(&self, table: &web_sys::HtmlElement) {
        let style = table.style();
        self.widths.with(|w| {
            let mut total = u32::from(NUMBER_COLUMN);
            for (i, field) in Field::ALL.iter().enumerate() {
                let name = format!("--w-{}", field.key());
                if w[i] > 0 {
                    let _ = style.set_property(&name, &format!("{}px", w[i]));
                } else {
                    let _ = style.remove_property(&name);
                }
                total += u32::from(if w[i] > 0 { w[i] } else { DEFAULTS[i] });
            }
            if w.iter().any(|px| *px > 0) {
                let _ = style.set_property("--table-min", &format!("{total}px"));
            } else {
                let _ = style.remove_property("--table-min");
            }
        });
    }

    pub fn width(&self, field: Field) -> u16 {
        self.widths.with(|w| w[column_index(field)])
    }

    pub fn set(&self, field: Field, px: u16) {
        let px = px.clamp(MIN_WIDTH, MAX_WIDTH);
        self.widths.update(|w| w[column_index(field)] = px);
    }

    pub fn reset(&self, field: Field) {
        self.widths.update(|w| w[column_index(field)] = 0);
        self.save();
    }

    /// Remembers the open plan's widths in this browser.
    pub fn save(&self) {
        if self.plan.read_only {
            return;
        }
        let id = self.plan.active_id.get_untracked();
        let widths = self.widths.get_untracked();
        let Some(storage) = local_storage() else {
            return;
        };
        let mut all: HashMap<String, [u16; 6]> = storage
            .get_item(WIDTHS_KEY)
            .ok()
            .flatten()
            .and_then(|raw| serde_json::from_str(&raw).ok())
            .unwrap_or_default();
        if widths == [0; 6] {
            all.remove(id.as_str());
        } else {
            all.insert(id.0, widths);
        }
        if let Ok(raw) = serde_json::to_string(&all) {
            // Widths are a convenience: a full storage only means they are not kept.
            let _ = storage.set_item(WIDTHS_KEY, &raw);
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn load(plan: &PlanId) -> [u16; 6] {
    local_storage()
        .and_then(|s| s.get_item(WIDTHS_KEY).ok().flatten())
        .and_then(|raw| serde_json::from_str::<HashMap<String, [u16; 6]>>(&raw).ok())
        .and_then(|all| all.get(plan.as_str()).copied())
        .map(|w| {
            w.map(|px| {
                if px == 0 {
                    0
                } else {
                    px.clamp(MIN_WIDTH, MAX_WIDTH)
                }
            })
        })
        .unwrap_or([0; 6])
}

/// The handle at a header's right edge: drag it, or focus it and press ← / → (Shift for
/// bigger steps); Home puts the default width back.
#[component]
pub fn ResizeHandle(field: Field, label: &'static str) -> impl IntoView {
    let Some(widths) = use_context::<ColumnWidths>() else {
        return ().into_any();
    };
    let dragging = StoredValue::new(None::<(i32, u16)>);
    let current = move |el: &web_sys::Element| -> u16 {
        let w = widths.width(field);
        if w > 0 {
            return w;
        }
        el.closest("th")
            .ok()
            .flatten()
            .map(|th| th.get_bounding_client_rect().width().round() as u16)
            .unwrap_or(DEFAULTS[column_index(field)])
    };
    let on_pointerdown = move |ev: leptos::ev::PointerEvent| {
        let Some(el) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        ev.prevent_default();
        ev.stop_propagation();
        let _ = el.set_pointer_capture(ev.pointer_id());
        dragging.set_value(Some((ev.client_x(), current(&el))));
    };
    let on_pointermove = move |ev: leptos::ev::PointerEvent| {
        if let Some((x0, w0)) = dragging.get_value() {
            let px = i32::from(w0) + ev.client_x() - x0;
            widths.set(field, px.clamp(0, i32::from(MAX_WIDTH)) as u16);
        }
    };
    let on_pointerup = move |_| {
        if dragging.get_value().is_some() {
            dragging.set_value(None);
            widths.save();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(el) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        let step: i32 = if ev.shift_key() { 64 } else { 16 };
        let now = i32::from(current(&el));
        match ev.key().as_str() {
            "ArrowLeft" => widths.set(field, (now - step).max(0) as u16),
            "ArrowRight" => widths.set(field, (now + step) as u16),
            "Home" => {
                ev.prevent_default();
                widths.reset(field);
                return;
            }
            _ => return,
        }
        ev.prevent_default();
        ev.stop_propagation();
        widths.save();
    };
    view! {
        <span
            class="col-resize"
            role="separator"
            aria-orientation="vertical"
            aria-label=format!("Resize the {label} column")
            aria-valuemin=MIN_WIDTH.to_string()
            aria-valuemax=MAX_WIDTH.to_string()
            aria-valuenow=move || {
                let w = widths.width(field);
                (if w > 0 { w } else { DEFAULTS[column_index(field)] }).to_string()
            }
            title="Drag to resize; arrow keys with the handle focused; Home resets"
            tabindex="0"
            on:pointerdown=on_pointerdown
            on:pointermove=on_pointermove
            on:pointerup=on_pointerup
            on:keydown=on_keydown
        ></span>
    }
    .into_any()
}
