//! Who is where, and what others' edits do to this tab: the display name, the cell this tab
//! is in, and someone else's change shown (news when it lands in the cell being typed in).

use super::*;

impl LiveSync {
    /// The name others see: the one given, or else this browser's guest label ("Guest
    /// 4821"), the same in presence, the history and the timeline on every visit.
    pub fn shown_name(&self) -> String {
        let name = self.name.get_untracked();
        if name.trim().is_empty() {
            guest_label()
        } else {
            name
        }
    }

    /// The user picked a display name.
    pub fn set_name(&self, name: String) {
        let name: String = name.chars().take(40).collect();
        dom::local_set(NAME_KEY, name.trim());
        self.name.set(name);
        self.send_presence();
    }

    /// This tab moved to another cell (or out of the table).
    pub fn set_cell(&self, cell: Option<(RowId, Field)>) {
        if self.inner.with_value(|i| i.cell == cell) {
            return;
        }
        self.inner.update_value(|i| i.cell = cell);
        self.send_presence();
    }

    /// Shows what a message from the server changed, and stores it.
    pub(super) fn after_remote(&self, ctx: PlanContext, remote: Remote) {
        self.tell_typing_news(ctx);
        match remote {
            Remote::Nothing => {}
            // Cells only: their rows' signals (a keystroke elsewhere must not cost the
            // whole table). Order and title changes also touch the plan list: all of it.
            Remote::Changed(changes) if changes.iter().all(|c| matches!(c, Change::Cell(..))) => {
                for change in changes {
                    if let Change::Cell(row, _) = change {
                        ctx.sync_row(&row);
                    }
                }
            }
            Remote::Changed(_) | Remote::Rebuild => ctx.sync(),
        }
        ctx.stored.notify();
    }

    /// Someone else wrote the cell being typed in: say who, and what it holds now, before
    /// the person typing writes over it.
    fn tell_typing_news(&self, ctx: PlanContext) {
        let Some((stamp, row, field)) = ctx.session.with_value(|s| s.changed_while_typing()) else {
            return;
        };
        let theirs = ctx
            .session
            .with_value(|s| {
                s.plan(&s.active().clone())
                    .and_then(|p| p.row(&row).map(|r| r.text(field).to_owned()))
            })
            .unwrap_or_default();
        let who = self
            .peers
            .with_untracked(|peers| {
                peers
                    .iter()
                    .find(|p| p.replica == stamp.replica)
                    .map(|p| p.name.clone())
            })
            .unwrap_or_else(|| "Someone".to_owned());
        let shown: String = theirs.chars().take(80).collect();
        let text = if field == Field::Notes {
            format!(
                "{who} changed these notes while you were typing (now: \"{shown}\"). Both texts are kept: the cell will show 2 versions to choose from."
            )
        } else {
            format!(
                "{who} changed this cell to \"{shown}\" while you were typing. Press Enter to keep yours, or Escape to keep theirs."
            )
        };
        let news = crate::ui::editor::state::TypingNews { text, theirs };
        if ctx
            .typing_news
            .with_untracked(|n| n.as_ref() != Some(&news))
        {
            ctx.announce(news.text.clone());
            ctx.typing_news.set(Some(news));
        }
    }

    /// Tells the others which cell this tab is in.
    pub(super) fn send_presence(&self) {
        if self.link.get_untracked() != Link::Online {
            return;
        }
        let cell = self.inner.with_value(|i| i.cell.clone());
        self.send(&ClientMsg::Presence(Presence {
            name: self.shown_name(),
            cell,
        }));
    }
}

/// This browser's label for someone who gave no name: a number drawn once and kept (read
/// from storage once per page: presence goes out on every move between cells).
fn guest_label() -> String {
    thread_local! {
        static LABEL: std::cell::OnceCell<String> = const { std::cell::OnceCell::new() };
    }
    LABEL.with(|label| {
        label
            .get_or_init(|| {
                let number = dom::local_get(GUEST_KEY)
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|n| (1..=9999).contains(n))
                    .unwrap_or_else(|| {
                        let n = (dom::random_seed() % 9999) as u32 + 1;
                        dom::local_set(GUEST_KEY, &n.to_string());
                        n
                    });
                format!("Guest {number}")
            })
            .clone()
    })
}
