use super::whole_plan::{Ask, WholePlan};
use crate::model::{CellRef, Edit, Field, Priority, RowId, Status};
use crate::template;
use crate::ui::editor::grid::{use_grid, GridContext};
use crate::ui::editor::state::{use_plan, PlanContext, RowCells};
use leptos::prelude::*;

/// One row of the plan. Its cells are text, written as one piece of HTML from the row's
/// values (the same on the server and in the browser): a 2,000-row plan then costs one
/// element and a few attributes per row to build, and a change rewrites only its row. The
/// grid edits the cells through its one editor; links and buttons inside the cells (FAQ,
/// hints, the advice offer) work by delegation from the table, and as plain links without
/// JavaScript.
#[component]
pub fn PlanRow(index: Signal<usize>, cells: RowCells) -> impl IntoView {
    let ctx = use_plan();
    let grid = use_grid();
    let id = cells.id.clone();
    let item = RwSignal::from(cells.item);
    let category = RwSignal::from(cells.category);
    let priority = RwSignal::from(cells.priority);
    let owner = RwSignal::from(cells.owner);
    let status = RwSignal::from(cells.status);
    let notes = RwSignal::from(cells.notes);
    let versions = RwSignal::from(cells.versions);
    let marks = RwSignal::from(cells.marks);
    let hidden = {
        let id = id.clone();
        Memo::new(move |_| ctx.view.with(|v| v.hidden.contains(&id)))
    };
    let active = move || marks.with(|m| m.active.map(Field::key));
    let selected = move || marks.with(|m| m.selected_keys());
    let read_only = ctx.read_only;
    let body = {
        let id = id.clone();
        move || {
            let html = item.with(|item| {
                notes.with(|notes| {
                    category.with(|category| {
                        owner.with(|owner| {
                            row_html(&RowText {
                                number: index.get() + 1,
                                item,
                                category,
                                priority: priority.get(),
                                owner,
                                status: status.get(),
                                notes,
                                versions: versions.get(),
                                read_only,
                            })
                        })
                    })
                })
            });
            // The cells were just replaced: the active one gets its focus back.
            grid.after_row_rewrite(&id);
            html
        }
    };
    view! {
        <tr
            role="row"
            data-row-id=id.to_string()
            hidden=move || hidden.get()
            data-active=active
            data-sel=selected
            inner_html=body
        ></tr>
    }
}

/// What a row shows.
pub struct RowText<'a> {
    pub number: usize,
    pub item: &'a str,
    pub category: &'a str,
    pub priority: Priority,
    pub owner: &'a str,
    pub status: Status,
    pub notes: &'a str,
    /// Notes versions held (more than one: written at once by several people).
    pub versions: u8,
    pub read_only: bool,
}

/// The row's cells as HTML; every piece of user text is escaped.
pub fn row_html(row: &RowText) -> String {
    let mut out = String::with_capacity(
        360 + row.item.len() + row.category.len() + row.owner.len() + row.notes.len(),
    );
    out.push_str("<th role=\"rowheader\" class=\"col-num\">");
    out.push_str(&row.number.to_string());
    out.push_str("</th><td role=\"gridcell\" data-col=\"item\"><span class=\"cell-text\">");
    escape_into(&mut out, row.item);
    out.push_str("</span>");
    let hints = template::hints_for(&[row.item, row.notes]);
    if !hints.is_empty() {
        out.push_str("<ul class=\"row-hints\" aria-label=\"Platform limits\">");
        for hint in &hints {
            out.push_str("<li>");
            escape_into(&mut out, &hint.text());
            out.push_str(" <a href=\"#");
            out.push_str(hint.faq);
            out.push_str("-answer\" data-faq=\"");
            out.push_str(hint.faq);
            out.push_str("\">Why?</a></li>");
        }
        out.push_str("</ul>");
    }
    if !row.read_only && template::updated_advice_for(row.item, row.notes, row.category).is_some() {
        out.push_str(
            "<p class=\"advice-offer\">This row holds earlier advice from the template. \
             <button type=\"button\" class=\"link-button\" data-advice=\"\">Update this row to the \
             current advice</button></p>",
        );
    }
    out.push_str("</td><td role=\"gridcell\" data-col=\"category\"><span class=\"cell-text\">");
    escape_into(&mut out, row.category);
    out.push_str("</span>");
    if !row.category.trim().is_empty() {
        let (faq, label) = match template::category(row.category) {
            Some(c) => (
                c.faq,
                format!("Guidance on {} in the FAQ", c.name.to_lowercase()),
            ),
            None => ("faq", "Open the FAQ".to_owned()),
        };
        let href = if faq == "faq" {
            "#faq".to_owned()
        } else {
            format!("#{faq}-answer")
        };
        out.push_str("<a class=\"faq-link\" href=\"");
        out.push_str(&href);
        out.push_str("\" data-faq=\"");
        out.push_str(if faq == "faq" {
            "faq-background-days"
        } else {
            faq
        });
        out.push_str("\" aria-label=\"");
        escape_into(&mut out, &label);
        out.push_str("\"><span aria-hidden=\"true\">?</span></a>");
    }
    out.push_str("</td><td role=\"gridcell\" data-col=\"priority\"><span class=\"pill priority-");
    out.push_str(match row.priority {
        Priority::P0 => "p0",
        Priority::P1 => "p1",
        Priority::P2 => "p2",
        Priority::P3 => "p3",
    });
    out.push_str("\">");
    out.push_str(row.priority.as_str());
    out.push_str("</span></td><td role=\"gridcell\" data-col=\"owner\">");
    escape_into(&mut out, row.owner);
    out.push_str("</td><td role=\"gridcell\" data-col=\"status\"><span class=\"pill status-");
    out.push_str(row.status.slug());
    out.push_str("\">");
    out.push_str(row.status.as_str());
    out.push_str("</span></td><td role=\"gridcell\" data-col=\"notes\">");
    escape_into(&mut out, row.notes);
    if row.versions > 1 && !row.read_only {
        out.push_str("<button type=\"button\" class=\"versions-badge\" data-versions=\"\">");
        out.push_str(&row.versions.to_string());
        out.push_str(" versions</button>");
    }
    out.push_str("</td>");
    out
}

/// Text as HTML text or attribute content: `&`, `<`, `>`, `"` and `'` escaped.
fn escape_into(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        out.push_str(&rest[..i]);
        out.push_str(match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// "Update this row to the current advice": one undoable edit of item, notes and (when the
/// topic moved) category. Never applied by itself.
pub fn apply_advice(ctx: PlanContext, row: &RowId) {
    let Some(cells) = ctx.cells_of(row) else {
        return;
    };
    let advice = cells.item.with_untracked(|i| {
        cells.notes.with_untracked(|n| {
            cells
                .category
                .with_untracked(|c| template::updated_advice_for(i, n, c))
        })
    });
    let Some(advice) = advice else {
        return;
    };
    let mut edits = vec![
        Edit::SetField {
            row: row.clone(),
            field: Field::Item,
            value: advice.item.to_owned(),
        },
        Edit::SetField {
            row: row.clone(),
            field: Field::Notes,
            value: advice.notes.to_owned(),
        },
    ];
    if let Some(category) = advice.category {
        edits.push(Edit::SetField {
            row: row.clone(),
            field: Field::Category,
            value: category.to_owned(),
        });
    }
    if ctx.edit(Edit::Batch(edits)) {
        ctx.announce("The row now holds the current advice. Press Control+Z to undo.".into());
    }
}

/// The row shortcuts on a cell: move the row, insert below, delete.
pub fn on_row_key(
    ctx: PlanContext,
    grid: GridContext,
    whole: Option<WholePlan>,
    ev: &web_sys::KeyboardEvent,
) {
    let command = ev.ctrl_key() || ev.meta_key();
    let Some(active) = grid.cursor.with_untracked(|c| c.active.clone()) else {
        return;
    };
    match ev.key().as_str() {
        "ArrowUp" | "ArrowDown" if ev.alt_key() && !command => {
            ev.prevent_default();
            let delta = if ev.key() == "ArrowUp" { -1 } else { 1 };
            if ctx.move_row(&active.row, delta) {
                // After the table has moved the row (moving it takes the focus away).
                set_timeout(
                    move || grid.set_cursor(crate::model::Cursor::at(active), true),
                    std::time::Duration::ZERO,
                );
            }
        }
        "Enter" if command && !ev.alt_key() => {
            ev.prevent_default();
            insert_below(ctx, grid, &active.row);
        }
        "Backspace" | "Delete" if command && ev.shift_key() => {
            ev.prevent_default();
            delete_row(ctx, grid, whole, &active);
        }
        _ => {}
    }
}

/// Inserts an empty row below `row` and puts the cursor on its Item.
pub fn insert_below(ctx: PlanContext, grid: GridContext, row: &RowId) {
    if let Some(at) = ctx.position(row) {
        if let Some(new_id) = ctx.insert_row(at + 1) {
            focus_new_row(grid, new_id);
        }
    }
}

/// Puts the cursor on a new row's Item once the row is on the page.
pub fn focus_new_row(grid: GridContext, row: RowId) {
    set_timeout(
        move || {
            grid.set_cursor(
                crate::model::Cursor::at(CellRef {
                    row,
                    field: Field::Item,
                }),
                true,
            );
        },
        std::time::Duration::ZERO,
    );
}

/// Deletes the row of the active cell, or every row of the selected range; the cursor goes
/// to the row that takes its place (or the one above, at the end). Several rows of a plan
/// edited together are everyone's business: the whole-plan dialog asks first.
pub fn delete_row(ctx: PlanContext, grid: GridContext, whole: Option<WholePlan>, active: &CellRef) {
    let shown = ctx.shown_ids();
    let rows: Vec<crate::model::RowId> = grid
        .cursor
        .with_untracked(|c| c.range(&shown))
        .map(|(rows, _)| shown[rows].to_vec())
        .unwrap_or_default();
    if let (true, Some(whole)) = (rows.len() > 1, whole) {
        let n = rows.len();
        let active = active.clone();
        let ask = Ask {
            title: format!("Delete {n} rows"),
            effect: format!(
                "deletes {n} rows, from {} to {}",
                ctx.item_name(&rows[0]),
                ctx.item_name(&rows[n - 1])
            ),
            verb: "Delete".into(),
        };
        whole.confirm(ask, false, move || {
            let at = ctx.shown_ids().iter().position(|r| r == &rows[0]);
            ctx.delete_rows(&rows);
            after_delete(ctx, grid, &active, at);
        });
        return;
    }
    let at = shown.iter().position(|r| r == &active.row);
    ctx.delete_row(&active.row);
    after_delete(ctx, grid, active, at);
}

/// The cursor goes to the row now at the deleted row's place.
fn after_delete(ctx: PlanContext, grid: GridContext, active: &CellRef, at: Option<usize>) {
    let shown = ctx.shown_ids();
    let next = match shown.get(at.unwrap_or(0).min(shown.len().saturating_sub(1))) {
        Some(row) => crate::model::Cursor::at(CellRef {
            row: row.clone(),
            field: active.field,
        }),
        None => crate::model::Cursor::default(),
    };
    set_timeout(
        move || grid.set_cursor(next, true),
        std::time::Duration::ZERO,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(item: &'a str, notes: &'a str) -> RowText<'a> {
        RowText {
            number: 7,
            item,
            category: "Battery",
            priority: Priority::P0,
            owner: "Ana",
            status: Status::InProgress,
            notes,
            versions: 1,
            read_only: false,
        }
    }

    #[test]
    fn user_text_is_escaped_everywhere() {
        let html = row_html(&RowText {
            owner: "<img src=x onerror=alert(1)>",
            category: "\"><script>x</script>",
            ..text("</td><script>alert(1)</script>", "a & b ' \" <b>")
        });
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("a &amp; b &#39; &quot; &lt;b&gt;"));
        assert!(html.contains("aria-label=\"Open the FAQ\""), "{html}");
    }

    #[test]
    fn a_row_shows_its_values_hints_and_links() {
        let html = row_html(&text("Poll every 5 min", "in the background"));
        assert!(html.starts_with("<th role=\"rowheader\" class=\"col-num\">7</th>"));
        assert!(html.contains("<span class=\"pill priority-p0\">P0</span>"));
        assert!(html.contains("<span class=\"pill status-in-progress\">In progress</span>"));
        assert!(html.contains("class=\"row-hints\""));
        assert!(html.contains("data-faq=\"faq-interval\">Why?</a>"));
        assert!(html.contains("href=\"#faq-battery-answer\""));
        assert!(html.contains("Guidance on battery in the FAQ"));
        for col in ["item", "category", "priority", "owner", "status", "notes"] {
            assert!(html.contains(&format!("data-col=\"{col}\"")), "{col}");
        }
    }

    #[test]
    fn notes_written_at_once_offer_their_versions() {
        assert!(!row_html(&text("a", "b")).contains("versions"));
        let html = row_html(&RowText {
            versions: 2,
            ..text("a", "b")
        });
        assert!(
            html.contains("data-versions=\"\">2 versions</button></td>"),
            "{html}"
        );
    }

    #[test]
    fn earlier_advice_is_offered_only_where_rows_can_change() {
        let old_item = "Make every upload safe to retry";
        let old_notes = "Give each mutation a client-generated id; the server remembers the last \
                         one it applied for each client and ignores repeats.";
        let editable = row_html(&RowText {
            category: "Offline queue",
            ..text(old_item, old_notes)
        });
        assert!(editable.contains("data-advice"), "{editable}");
        let shared = row_html(&RowText {
            category: "Offline queue",
            read_only: true,
            ..text(old_item, old_notes)
        });
        assert!(!shared.contains("data-advice"));
        assert!(!row_html(&text("Mine", "Also mine")).contains("data-advice"));
    }
}
