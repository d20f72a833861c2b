use super::plan_context::use_plan;
use super::plan_row::PlanRow;
use crate::template::CATEGORIES;
use leptos::prelude::*;

/// The plan as a table: editable cells in the editor, plain text when read-only.
#[component]
pub fn PlanTable() -> impl IntoView {
    let ctx = use_plan();
    let read_only = ctx.read_only;
    view! {
        <div class="table-wrap">
            <table class="plan-table" class:read-only=read_only>
                <caption class="sr-only">
                    {move || ctx.title.get()}
                    {(!read_only).then_some(
                        ". Alt+Up and Alt+Down move a row, Control+Enter adds a row below, \
                         Control+Shift+Backspace deletes it.",
                    )}
                </caption>
                <thead>
                    <tr>
                        <th scope="col" class="col-num">"#"</th>
                        <th scope="col" class="col-item">"Item"</th>
                        <th scope="col" class="col-category">"Category"</th>
                        <th scope="col" class="col-priority">"Priority"</th>
                        <th scope="col" class="col-owner">"Owner"</th>
                        <th scope="col" class="col-status">"Status"</th>
                        <th scope="col" class="col-notes">"Notes"</th>
                        {(!read_only)
                            .then(|| {
                                view! {
                                    <th scope="col" class="col-actions">
                                        <span class="sr-only">"Row actions"</span>
                                    </th>
                                }
                            })}
                    </tr>
                </thead>
                <tbody>
                    <ForEnumerate
                        each=move || ctx.rows.get()
                        key=|cells| cells.id.clone()
                        children=move |index, cells| view! { <PlanRow index cells/> }
                    />
                </tbody>
            </table>
            <p class="empty-table" class:hidden=move || !ctx.rows.with(Vec::is_empty)>
                "This plan has no rows yet."
            </p>
        </div>
        {(!read_only)
            .then(|| {
                view! {
                    <datalist id="category-suggestions">
                        {CATEGORIES.iter().map(|c| view! { <option value=c.name></option> }).collect_view()}
                    </datalist>
                }
            })}
    }
}
