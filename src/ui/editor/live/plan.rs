//! The editor's side of a plan edited together: going live, leaving, the edit link, and
//! what happens to the plan when the server does not take a change or ends the editing.

use super::*;

impl PlanContext {
    /// The server did not take some of this tab's changes (the shared plan is full, or a
    /// change could not be read): the plan as this tab showed it is kept as a private copy,
    /// and the person is told which changes, and why.
    pub(crate) fn keep_not_kept(&self, plan: &PlanId, not_kept: NotKept) {
        let mut copy = not_kept.before;
        copy.title = clean_text(&format!("{} (my version)", copy.title), MAX_TITLE_CHARS);
        let title = copy.title.clone();
        self.session.update_value(|s| {
            s.add_plan(copy);
        });
        let _ = plan;
        let count = not_kept.ops.len();
        let mut reasons: Vec<&str> = not_kept.ops.iter().map(|(_, why)| why.explain()).collect();
        reasons.dedup();
        let what = if count == 1 {
            "1 of your changes was".to_owned()
        } else {
            format!("{count} of your changes were")
        };
        self.sync();
        self.stored.notify();
        self.notice.set(Some(Notice {
            text: format!(
                "{what} not kept in the shared plan: {}. Nothing is lost: the plan as you had it is kept as \"{title}\" in your plans.",
                reasons.join("; ")
            ),
            backup: None,
            cell: None,
        }));
    }

    /// The plan is no longer edited together (editing was turned off, the link replaced
    /// or the share taken down): it stays here as a private plan.
    pub(crate) fn end_live(&self, plan: &PlanId, why: &str) {
        self.session.update_value(|s| s.leave_live(plan));
        self.sync();
        self.stored.notify();
        let title = self
            .session
            .with_value(|s| s.plan(plan).map(|p| p.title.clone()))
            .unwrap_or_default();
        self.notice.set(Some(Notice {
            text: format!("\"{title}\": {why}"),
            backup: None,
            cell: None,
        }));
    }

    /// Turns on editing for the open plan with this edit link's secret (the owner). The
    /// first time, this copy becomes the shared one; when editing was on before
    /// (`resumed`), this copy joins what everyone wrote meanwhile and sends only what it
    /// lacks.
    pub fn go_live(&self, share: ShareId, token: EditToken, resumed: bool) {
        let active = self.active();
        let already = self.session.with_value(|s| s.live(&active).is_some());
        if already {
            self.update_session(|s| s.set_live_token(&active, token));
        } else if resumed {
            self.update_session(|s| s.resume_live(&active, share, token));
        } else {
            self.update_session(|s| s.publish_live(&active, share, token));
        }
        self.sync();
        self.switched.notify();
    }

    /// Turns editing off for the open plan here (the owner did it).
    pub fn stop_live(&self) {
        let active = self.active();
        self.session.update_value(|s| s.leave_live(&active));
        self.sync();
        self.switched.notify();
    }

    /// Someone who joined by edit link leaves: this copy becomes a private plan here, and
    /// the connection closes. The team's plan is untouched.
    pub fn leave_shared(&self) {
        let active = self.active();
        self.session.update_value(|s| s.leave_live(&active));
        self.sync();
        self.switched.notify();
    }

    /// The open plan's edit link, when it is edited together: its share and its address.
    pub fn edit_link(&self) -> Option<(ShareId, String)> {
        let active = self.active();
        let (share, token) = self
            .session
            .with_value(|s| s.live(&active).map(|l| (l.share.clone(), l.token.clone())))?;
        let origin = dom::origin().unwrap_or_default();
        Some((
            share.clone(),
            crate::shared::paths::edit_url(&origin, &share, &token),
        ))
    }
}
