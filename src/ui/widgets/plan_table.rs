use super::column_widths::{ColumnWidths, ResizeHandle};
use super::plan_row::PlanRow;
use crate::model::{Field, Priority, Status};
use crate::template::CATEGORIES;
use crate::ui::editor::grid::{event_cell, use_grid, EditorKind};
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;
use std::time::Duration;

/// Rows created in the first step; later steps adapt (see `grow`), so adding a long plan
/// to the page never blocks it for long.
const ROWS_PER_STEP: usize = 40;
const MAX_ROWS_PER_STEP: usize = 320;

/// The plan as a grid of text cells: arrows move, typing edits (one editor laid over the
/// cell), ranges copy and paste like a spreadsheet. Column headers sort the view; the
/// filter hides rows; neither changes the plan. Every row is in the page (find-in-page,
/// printing and reading without JavaScript see them all); rows off screen skip layout.
#[component]
pub fn PlanTable() -> impl IntoView {
    let ctx = use_plan();
    let read_only = ctx.read_only;
    let grid = use_grid();
    let widths = ColumnWidths::provide(ctx);
    let table = NodeRef::<leptos::html::Table>::new();
    Effect::new(move |_| {
        if let Some(table) = table.get() {
            widths.apply(&table);
        }
    });

    // The first render shows every row the server rendered; rows arriving later (a stored
    // plan, an import) are added a step at a time.
    let rendered = RwSignal::new(ctx.len());
    Effect::new(move |_| {
        let total = ctx.rows.with(Vec::len);
        let now = rendered.get_untracked();
        if now > total {
            // Fewer rows now (a reset, a delete): a later jump back grows in steps again.
            rendered.set(total);
        } else if now < total {
            grow(rendered, total);
        }
    });
    Effect::new(move |_| {
        let done = rendered.get() >= ctx.rows.with(Vec::len);
        if ctx.fully_rendered.get_untracked() != done {
            ctx.fully_rendered.set(done);
        }
    });
    let shown_rows = move || {
        let limit = rendered.get();
        let mut rows = ctx.display_rows();
        rows.truncate(limit);
        rows
    };
    // The cursor follows its row through deletes, undo and filters; with no cursor yet,
    // the first cell is where Tab enters the grid.
    Effect::new(move |_| {
        ctx.rows.track();
        ctx.view.track();
        rendered.track();
        grid.keep_on_shown();
        let grid = grid;
        set_timeout(move || grid.ensure_tab_stop(), Duration::ZERO);
    });

    // The editor's whole-plan dialog (a read-only page has none, and edits nothing).
    let whole = use_context::<super::whole_plan::WholePlan>();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let on_cell = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| el.matches("td[data-col]").unwrap_or(false));
        if on_cell {
            if !read_only {
                super::plan_row::on_row_key(ctx, grid, whole, &ev);
                if ev.default_prevented() {
                    return;
                }
            }
            grid.on_cell_key(&ev);
        }
    };
    // Whether the last press was a finger's: on a touch screen one tap edits the cell (a
    // second tap is not discoverable); a mouse click only selects, as in a spreadsheet.
    let touched = StoredValue::new(false);
    let on_pointerdown = move |ev: leptos::ev::PointerEvent| {
        touched.set_value(ev.pointer_type() == "touch");
    };
    let on_mousedown = move |ev: leptos::ev::MouseEvent| {
        if ev.button() != 0 {
            return;
        }
        let Some((cell, _)) = event_cell(ev.target()) else {
            return;
        };
        if grid.is_editing() && !grid.commit(None) {
            // The open cell holds a value it cannot take: it stays open, with the reason.
            ev.prevent_default();
            return;
        }
        ev.prevent_default();
        grid.activate(cell, ev.shift_key());
        if touched.get_value() && !ev.shift_key() && !read_only {
            grid.start_edit(false);
        }
    };
    let on_dblclick = move |ev: leptos::ev::MouseEvent| {
        if event_cell(ev.target()).is_some() {
            grid.start_edit(false);
        }
    };
    let on_mouseover = move |ev: leptos::ev::MouseEvent| {
        // Dragging with the button down selects a range.
        if ev.buttons() & 1 == 0 || grid.is_editing() {
            return;
        }
        if let Some((cell, _)) = event_cell(ev.target()) {
            let moved = grid
                .cursor
                .with_untracked(|c| c.active.as_ref() != Some(&cell));
            if moved {
                grid.activate(cell, true);
            }
        }
    };
    // Links and buttons inside the cells are plain HTML: their clicks are handled here.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(el) = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
        else {
            return;
        };
        if let Some(link) = el.closest("a[data-faq]").ok().flatten() {
            ev.prevent_default();
            if let Some(faq) = link.get_attribute("data-faq") {
                crate::browser::dom::open_faq(&faq);
            }
        } else if el.closest("button[data-versions]").ok().flatten().is_some() {
            if let Some(row) = row_of(&el) {
                ev.stop_propagation();
                ctx.notes_choice.set(Some(row));
            }
        } else if el.closest("button[data-advice]").ok().flatten().is_some() {
            if let Some(row) = row_of(&el) {
                super::plan_row::apply_advice(ctx, &row);
            }
        }
    };
    Effect::new(move |_| {
        let focus =
            window_event_listener(leptos::ev::focusin, move |ev| grid.note_focus(ev.target()));
        let scroll = window_event_listener(leptos::ev::scroll, move |_| grid.pin_header());
        let resize = window_event_listener(leptos::ev::resize, move |_| grid.pin_header());
        on_cleanup(move || {
            focus.remove();
            scroll.remove();
            resize.remove();
        });
    });
    // The cell's own menu (right click, the menu key, Shift+F10): its edit history.
    let on_contextmenu = move |ev: leptos::ev::MouseEvent| {
        if read_only || grid.is_editing() {
            return;
        }
        if let Some((cell, td)) = event_cell(ev.target()) {
            ev.prevent_default();
            let (x, y) = if ev.client_x() == 0 && ev.client_y() == 0 {
                // From the keyboard: under the cell.
                let r = td.get_bounding_client_rect();
                (r.left() as i32, r.bottom() as i32)
            } else {
                (ev.client_x(), ev.client_y())
            };
            grid.activate(cell.clone(), false);
            grid.menu.set(Some((cell, x, y)));
        }
    };
    let on_copy = move |ev: leptos::ev::ClipboardEvent| grid.copy(&ev, false);
    let on_cut = move |ev: leptos::ev::ClipboardEvent| grid.copy(&ev, true);
    let on_paste = move |ev: leptos::ev::ClipboardEvent| grid.paste(&ev);
    // The paste part is fetched when the table is first focused online, before any paste
    // (offline, the fetch would only fail: a later focus or the paste itself fetches it).
    let paste_fetched = StoredValue::new(false);
    let on_focus_in = move |ev: leptos::ev::FocusEvent| {
        if !paste_fetched.get_value() && grid.editable() && crate::browser::dom::online() {
            paste_fetched.set_value(true);
            grid.preload_paste();
        }
        grid.on_focus_in(ev.target());
    };

    // The reason a cell cannot take a value (or news about the cell being typed in) is
    // drawn under that cell, where the person is looking, and read out.
    let problem_shown =
        move || grid.problem.with(Option::is_some) || ctx.typing_news.with(Option::is_some);
    Effect::new(move |_| {
        let shown = problem_shown();
        grid.cursor.track();
        if shown {
            set_timeout(move || grid.place_problem(), Duration::ZERO);
        }
    });

    view! {
        <div class="table-wrap" node_ref=grid.wrap>
            <table
                class="plan-table"
                class:read-only=read_only
                id="plan-table"
                role="grid"
                aria-readonly=read_only.then_some("true")
                aria-rowcount=move || (ctx.rows.with(Vec::len) + 1).to_string()
                aria-colcount="7"
                node_ref=table
                on:keydown=on_keydown
                on:pointerdown=on_pointerdown
                on:mousedown=on_mousedown
                on:dblclick=on_dblclick
                on:contextmenu=on_contextmenu
                on:click=on_click
                on:mouseover=on_mouseover
                on:focusin=on_focus_in
                on:copy=on_copy
                on:cut=on_cut
                on:paste=on_paste
            >
                <caption class="sr-only">
                    {move || ctx.title.get()}
                    {move || ctx.spec.with(|s| s.describe_sort()).map(|s| format!(". {s}"))}
                    {if read_only {
                        ". Arrow keys move between cells; Control+C copies the selection."
                    } else {
                        ". Arrow keys move between cells, Shift with arrows selects, typing or Enter edits, Escape cancels. \
                         Alt+Up and Alt+Down move a row, Control+Enter adds a row below, Control+Shift+Backspace deletes it."
                    }}
                </caption>
                <thead role="rowgroup">
                    <tr role="row" aria-rowindex="1">
                        <SortHeader field=None class="col-num" label="#"/>
                        <SortHeader field=Some(Field::Item) class="col-item" label="Item"/>
                        <SortHeader field=Some(Field::Category) class="col-category" label="Category"/>
                        <SortHeader field=Some(Field::Priority) class="col-priority" label="Priority"/>
                        <SortHeader field=Some(Field::Owner) class="col-owner" label="Owner"/>
                        <SortHeader field=Some(Field::Status) class="col-status" label="Status"/>
                        <SortHeader field=Some(Field::Notes) class="col-notes" label="Notes"/>
                    </tr>
                </thead>
                <tbody role="rowgroup">
                    <For
                        each=shown_rows
                        key=|cells| cells.id.clone()
                        children=move |cells| {
                            let id = cells.id.clone();
                            let index = Memo::new(move |_| {
                                ctx.positions.with(|p| p.get(&id).copied().unwrap_or(0))
                            });
                            view! { <PlanRow index=index.into() cells/> }
                        }
                    />
                </tbody>
            </table>
            {(!read_only)
                .then(|| {
                    view! {
                        <input
                            class="cell-editor"
                            type="text"
                            autocomplete="off"
                            spellcheck="true"
                            node_ref=grid.input
                            aria-invalid=move || grid.problem.with(Option::is_some).then_some("true")
                            aria-describedby=move || problem_shown().then_some("grid-problem")
                            on:input=move |_| grid.on_editor_input()
                            on:keydown=move |ev| grid.on_editor_key(&ev)
                            on:blur=move |_| {
                                if grid.editor_kind.get_untracked() == Some(EditorKind::Line) {
                                    grid.commit(None);
                                }
                            }
                        />
                        <textarea
                            class="cell-editor notes-editor"
                            spellcheck="true"
                            maxlength=crate::model::MAX_NOTES_CHARS
                            node_ref=grid.area
                            aria-describedby=move || problem_shown().then_some("grid-problem")
                            on:input=move |_| grid.on_editor_input()
                            on:keydown=move |ev| grid.on_editor_key(&ev)
                            on:blur=move |_| {
                                if grid.editor_kind.get_untracked() == Some(EditorKind::Lines) {
                                    grid.commit(None);
                                }
                            }
                        ></textarea>
                    }
                })}
            <p id="grid-problem" class="grid-problem" role="alert" class:hidden=move || !problem_shown()>
                {move || grid.problem.get().or_else(|| ctx.typing_news.get().map(|n| n.text))}
                " "
                <button type="button" class="link-button" on:click=move |_| {
                    grid.problem.set(None);
                    ctx.typing_news.set(None);
                    grid.focus_active();
                }>
                    "Dismiss"
                </button>
            </p>
            <p class="empty-table" class:hidden=move || !ctx.rows.with(Vec::is_empty)>
                "This plan has no rows yet."
            </p>
            <p
                class="empty-table"
                class:hidden=move || { ctx.rows.with(Vec::is_empty) || ctx.shown_count() != 0 }
            >
                "No row matches the filter. "
                <button type="button" class="link-button" on:click=move |_| ctx.update_view(|s| {
                    s.category = None;
                    s.status = None;
                    s.text.clear();
                })>
                    "Show every row"
                </button>
            </p>
        </div>
        {(!read_only)
            .then(|| {
                view! {
                    <datalist id="category-suggestions">
                        {CATEGORIES.iter().map(|c| view! { <option value=c.name></option> }).collect_view()}
                    </datalist>
                    <datalist id="priority-choices">
                        {Priority::ALL
                            .iter()
                            .map(|p| view! { <option value=p.as_str()>{p.meaning()}</option> })
                            .collect_view()}
                    </datalist>
                    <datalist id="status-choices">
                        {Status::ALL.iter().map(|s| view! { <option value=s.as_str()></option> }).collect_view()}
                    </datalist>
                }
            })}
    }
}

/// Adds rows to the page a step at a time until `total` are there. Steps grow while they
/// stay quick and shrink when they do not, so each stays a short task.
fn grow(rendered: RwSignal<usize>, total: usize) {
    grow_by(rendered, total, ROWS_PER_STEP, None);
}

fn grow_by(rendered: RwSignal<usize>, total: usize, step: usize, last: Option<f64>) {
    let now = rendered.get_untracked();
    if now >= total {
        return;
    }
    let started = crate::browser::dom::now_precise();
    // How long the previous step took, from its start to this one's (its rows were built
    // and laid out in between).
    let step = match last {
        Some(t0) if started - t0 < 16.0 => (step * 2).min(MAX_ROWS_PER_STEP),
        Some(t0) if started - t0 > 40.0 => (step / 2).max(ROWS_PER_STEP / 2),
        _ => step,
    };
    rendered.set((now + step).min(total));
    crate::browser::dom::next_task(move || grow_by(rendered, total, step, Some(started)));
}

/// A column header that sorts the view: ascending, descending, then plan order. `#` always
/// goes back to plan order. Between headers, a handle resizes the column.
#[component]
fn SortHeader(field: Option<Field>, class: &'static str, label: &'static str) -> impl IntoView {
    let ctx = use_plan();
    let state = move || {
        ctx.spec.with(|s| match (s.sort, field) {
            (Some(sort), Some(f)) if sort.field == f => Some(sort.descending),
            _ => None,
        })
    };
    let plan_order = move || field.is_none() && ctx.spec.with(|s| s.sort.is_none());
    let aria_sort = move || match state() {
        Some(false) => Some("ascending"),
        Some(true) => Some("descending"),
        None if plan_order() => Some("ascending"),
        None => None,
    };
    let on_click = move |_| match field {
        Some(f) => ctx.update_view(|s| s.sort = s.next_sort(f)),
        None => ctx.update_view(|s| s.sort = None),
    };
    let title = match field {
        Some(_) => format!("Sort by {label}"),
        None => "Show plan order".to_owned(),
    };
    view! {
        <th scope="col" role="columnheader" class=class aria-sort=aria_sort data-label=label>
            <button
                type="button"
                class="sort-button"
                title=title
                aria-label=field.is_none().then_some("Row number: show plan order")
                on:click=on_click
            >
                {label}
                <span class="sort-mark" aria-hidden="true">
                    {move || match state() {
                        Some(false) => "▲",
                        Some(true) => "▼",
                        None => "",
                    }}
                </span>
            </button>
            {field.map(|f| view! { <ResizeHandle field=f label/> })}
        </th>
    }
}

/// The row an element of the table is in.
fn row_of(el: &web_sys::Element) -> Option<crate::model::RowId> {
    el.closest("tr[data-row-id]")
        .ok()
        .flatten()
        .and_then(|tr| tr.get_attribute("data-row-id"))
        .map(crate::model::RowId)
}
