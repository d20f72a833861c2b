//! Who is here, in a plan edited together: the user's display name, everyone else with
//! their colour and cell, and an outline on each cell someone else is in.

use crate::model::Field;
use crate::shared::wire::{Peer, Role};
use crate::ui::editor::grid::use_grid;
use crate::ui::editor::live::use_live;
use crate::ui::editor::state::use_plan;
use leptos::prelude::*;

/// The presence colours (light and dark themes both read them on the page background).
pub const PEER_COLOURS: [&str; 8] = [
    "#d1453b", "#1f7a4d", "#7b4fd6", "#c26a00", "#0b7fa6", "#c2378f", "#5b6b00", "#3b5bdb",
];

fn colour_of(peer: &Peer) -> &'static str {
    PEER_COLOURS[usize::from(peer.colour) % PEER_COLOURS.len()]
}

#[component]
pub fn LiveBar() -> impl IntoView {
    let ctx = use_plan();
    let grid = use_grid();
    let live = use_live();

    // Where this tab is, for the others.
    Effect::new(move |_| {
        let cell = grid
            .cursor
            .with(|c| c.active.as_ref().map(|a| (a.row.clone(), a.field)));
        live.set_cell(cell);
    });

    // The others' cells, outlined in their colours. Rows keep their `<tr>` when their
    // cells are rewritten, so the outline lives on the row: a custom property per column.
    Effect::new(move |marked: Option<Vec<web_sys::HtmlElement>>| {
        ctx.rows.track();
        let peers = live.peers.get();
        for el in marked.into_iter().flatten() {
            for field in Field::ALL {
                let _ = el.remove_attribute(&format!("data-peer-{}", field.key()));
                let _ = el
                    .style()
                    .remove_property(&format!("--peer-{}", field.key()));
            }
        }
        let mut now = Vec::new();
        for peer in &peers {
            let Some((row, field)) = &peer.cell else {
                continue;
            };
            let selector = format!("tr[data-row-id=\"{}\"]", row.as_str());
            let Some(tr) = crate::browser::dom::query(&selector) else {
                continue;
            };
            let colour = colour_of(peer);
            let _ = tr.set_attribute(&format!("data-peer-{}", field.key()), &peer.name);
            let _ = tr
                .style()
                .set_property(&format!("--peer-{}", field.key()), colour);
            now.push(tr);
        }
        now
    });

    let peer_list = move || {
        live.peers
            .get()
            .into_iter()
            .map(|peer| {
                let where_ = peer.cell.as_ref().and_then(|(row, field)| {
                    ctx.position(row)
                        .map(|i| format!("row {}, {}", i + 1, field.header()))
                });
                let dot = NodeRef::<leptos::html::Span>::new();
                let colour = colour_of(&peer);
                Effect::new(move |_| {
                    if let Some(el) = dot.get() {
                        let _ = web_sys::HtmlElement::style(&el).set_property("background", colour);
                    }
                });
                view! {
                    <li class="peer">
                        <span class="peer-dot" aria-hidden="true" node_ref=dot></span>
                        <span class="peer-name">{peer.name.clone()}</span>
                        {peer.owner.then_some(" (owner)")}
                        {(peer.role == Role::Viewer).then_some(" (viewing)")}
                        {where_.map(|w| view! { <span class="peer-where">" · "{w}</span> })}
                    </li>
                }
            })
            .collect_view()
    };
    let status = move || {
        let n = live.peers.with(Vec::len);
        match n {
            0 => "Only you are here right now.".to_owned(),
            1 => "1 other person is here:".to_owned(),
            n => format!("{n} other people are here:"),
        }
    };
    view! {
        <Show when=move || live.shared.get()>
            <div class="live-bar" data-testid="live-bar">
                <span class="live-badge">"Shared · editing together"</span>
                <label class="live-name">
                    "Your name "
                    <input
                        type="text"
                        maxlength="40"
                        autocomplete="nickname"
                        placeholder="Shown to the others"
                        prop:value=move || live.name.get()
                        on:change=move |ev| live.set_name(event_target_value(&ev))
                    />
                </label>
                <p class="peers-status" aria-live="polite">{status}</p>
                <ul class="peers" aria-label="People here">{peer_list}</ul>
            </div>
        </Show>
    }
}
