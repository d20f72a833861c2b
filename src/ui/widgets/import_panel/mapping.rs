//! The import panel's mapping step: each source column, where it goes, and the values
//! that need a word from the person.

use super::*;

/// The mapping step: each column with its samples and where it goes; the values we cannot
/// translate, each with a choice; what we translated.
pub(super) fn render_mapping(
    file_name: String,
    sheet: SheetPreview,
    remembered: bool,
    confirm: impl Fn() + Copy + 'static,
    remap: impl Fn(Remap) + Copy + 'static,
    state: RwSignal<Option<Preview>>,
) -> AnyView {
    let rows = sheet.rows;
    let blocked = !sheet.untranslated.is_empty();
    let columns = sheet
        .columns
        .into_iter()
        .enumerate()
        .map(|(i, column)| {
            let id = format!("import-map-{i}");
            let key = column.key.clone();
            let on_change = move |ev: ev::Event| {
                let value = event_target_value(&ev);
                if let Some(target) = Target::from_slug(&value) {
                    let key = key.clone();
                    remap(Box::new(move |spec| {
                        spec.columns.insert(key, target);
                    }));
                }
            };
            let header = if column.header.is_empty() {
                format!("(column {})", i + 1)
            } else {
                column.header.clone()
            };
            let samples = if column.samples.is_empty() {
                "empty".to_owned()
            } else {
                column.samples.join(" · ")
            };
            let target = column.target;
            view! {
                <tr>
                    <th scope="row"><label for=id.clone()>{header}</label></th>
                    <td class="import-samples">{samples}</td>
                    <td>
                        <select id=id on:change=on_change>
                            {Target::ALL
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <option value=t.slug() selected=t == target>{t.label()}</option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let untranslated = sheet
        .untranslated
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            let id = format!("import-value-{i}");
            let (field, value) = (u.field, u.value.clone());
            let choices: Vec<&'static str> = match field {
                Field::Priority => Priority::ALL.iter().map(|p| p.as_str()).collect(),
                _ => Status::ALL.iter().map(|s| s.as_str()).collect(),
            };
            let on_change = move |ev: ev::Event| {
                let choice = event_target_value(&ev);
                let value = value.clone();
                remap(Box::new(move |spec| match field {
                    Field::Priority => {
                        if let Some(p) = Priority::parse(&choice) {
                            spec.values.priority.insert(value, p);
                        }
                    }
                    _ => {
                        if let Some(s) = Status::parse(&choice) {
                            spec.values.status.insert(value, s);
                        }
                    }
                }));
            };
            let mut rows = u
                .rows
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            if u.count > u.rows.len() {
                rows.push_str(&format!(" and {} more", u.count - u.rows.len()));
            }
            let label = format!(
                "\u{201c}{}\u{201d} in column {} (row{} {rows}) means",
                u.value,
                u.column,
                if u.count == 1 { "" } else { "s" }
            );
            view! {
                <li>
                    <label for=id.clone()>{label}</label>
                    " "
                    <select id=id on:change=on_change>
                        <option value="" selected=true disabled=true>"Choose…"</option>
                        {choices
                            .into_iter()
                            .map(|c| view! { <option value=c>{c}</option> })
                            .collect_view()}
                    </select>
                </li>
            }
        })
        .collect_view();
    // Only translations that change a word: "Done → Done" says nothing.
    let changed: Vec<_> = sheet
        .translated
        .iter()
        .filter(|t| !t.value.trim().eq_ignore_ascii_case(&t.to) || t.kept_in_notes)
        .collect();
    let translated = (!changed.is_empty()).then(|| {
        let list = changed
            .iter()
            .map(|t| {
                format!(
                    "{} \u{2192} {}{}",
                    t.value,
                    t.to,
                    if t.kept_in_notes {
                        " (the word is kept in Notes)"
                    } else {
                        ""
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        view! { <p class="hint">"Translated: " {list} "."</p> }
    });
    let problems = (!sheet.problems.is_empty()).then(|| {
        view! {
            <ul class="problems">
                {sheet
                    .problems
                    .into_iter()
                    .map(|p| view! { <li>{p.message}</li> })
                    .collect_view()}
            </ul>
        }
    });
    let intro = if remembered {
        "Your mapping from the last import of these columns. Change any column, then continue."
    } else {
        "Check where each column goes; nothing is imported yet. A column with no place of its own is added to Notes, so nothing it holds is lost."
    };
    view! {
        <div class="import-mapping">
            <p>
                <strong>{file_name}</strong>
                {format!(": {rows} row{}. ", if rows == 1 { "" } else { "s" })}
                {intro}
            </p>
            <table class="import-map">
                <thead>
                    <tr>
                        <th scope="col">"Column"</th>
                        <th scope="col">"Values"</th>
                        <th scope="col">"Goes to"</th>
                    </tr>
                </thead>
                <tbody>{columns}</tbody>
            </table>
            {blocked
                .then(|| {
                    view! {
                        <div class="import-values" role="group" aria-label="Values to translate">
                            <p>"Say what these values mean (once for every row):"</p>
                            <ul>{untranslated}</ul>
                        </div>
                    }
                })}
            {translated}
            {problems}
            <div class="import-actions">
                <button
                    type="button"
                    class="button primary"
                    aria-disabled=blocked.to_string()
                    on:click=move |_| {
                        if blocked {
                            // Say what is missing: the first value still to translate.
                            if let Some(select) = dom::query(".import-values select") {
                                let _ = select.focus();
                            }
                        } else {
                            confirm();
                        }
                    }
                >
                    {format!("Continue with {rows} row{}", if rows == 1 { "" } else { "s" })}
                </button>
                <button type="button" class="button" on:click=move |_| state.set(None)>
                    "Cancel"
                </button>
            </div>
        </div>
    }
    .into_any()
}
