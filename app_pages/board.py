"""Class board: a workshop's room, where participants post their runs and everyone sees the class's results."""
import pandas as pd
import streamlit as st

from kdviz.board import rules
from kdviz.board.headlines import quantity
from ui import board, guide

st.title("Class board")
guide.notice("board")

SHOWN_KEY = "board.key_shown"
PAGE = "live"  # the page whose posts the board plots (Live training posts T, alpha and accuracies)

st.html(board.LAYOUT_CSS)
with st.container(key="board.rooms"):
    join_col, teach_col = st.columns(2)
with join_col:
    st.subheader("Join a room")
    joined = board.membership()
    if joined:
        st.markdown(f"You are in room **{joined[0]}** as **{board.escaped(joined[1])}**. Finish a run on "
                    "**Live training** and press *Post this run*.")
        st.button("Leave the room", key="board.leave", on_click=board.leave)
    else:
        with st.form("board.join", border=False):
            code = st.text_input("Room code", max_chars=12, placeholder="K7PQ2M", key="board.join_code")
            name = st.text_input("Your display name (shown to the class)", max_chars=30, key="board.join_name")
            if st.form_submit_button("Join", key="board.join_button"):
                board.guarded(lambda: board.join(code, name))
                if board.membership():
                    st.rerun()

with teach_col:
    st.subheader("Instructors")
    if board.managed():
        st.markdown(f"You manage room **{board.managed()}**: its controls are under the board.")
        st.button("Stop managing this room", key="board.stop", on_click=board.stop_managing)
    with st.expander("Create a room", expanded=not board.managed()):
        with st.form("board.create_form", border=False):  # Enter in the title creates the room
            title = st.text_input("Room title", value="KD workshop", max_chars=60, key="board.title")
            if st.form_submit_button("Create room", key="board.create"):
                made = board.guarded(lambda: board.create(title))
                if made:  # shown once, on the rerun that draws the room as managed
                    st.session_state[SHOWN_KEY] = made[1]
                    st.rerun()
    with st.expander("Manage a room", expanded=False):
        with st.form("board.manage_form", border=False):
            manage_code = st.text_input("Room code", max_chars=12, key="board.manage_code")
            manage_key = st.text_input("Instructor key", type="password", key="board.manage_key")
            if st.form_submit_button("Manage", key="board.manage_button"):
                if board.guarded(lambda: board.manage(manage_code, manage_key)):
                    st.rerun()
    shown = st.session_state.pop(SHOWN_KEY, None)
    if shown:  # shown once, right after creating the room
        st.success(f"Room **{board.managed()}** is open: give this code to the class.")
        st.markdown("Your **instructor key** (shown only now: copy it to manage the room from another browser; "
                    "this one keeps the room until you stop managing it):")
        st.code(shown, language=None)
board.remember()

room_code = board.managed() or (board.membership() or ("",))[0]
if not room_code:
    st.info("Join a room with the code your instructor gives you, or create one to run a workshop.")


@st.fragment(run_every=3)
def live_board(code: str) -> None:
    """The room's posts, refreshed every few seconds: the class scatter and the leaderboard. The room's board is
    shared by its viewers and rebuilt only when a post arrived, so an unchanged refresh costs one lookup."""
    shown = board.guarded(lambda: board.view(code, PAGE))
    if shown is None:
        return
    room, summary = shown
    st.subheader(f"Room {room.code}: {board.escaped(room.title)}" + (" (locked)" if room.locked else ""))
    st.caption(rules.policy() + (f" This room has replaced {room.replaced:,} of its oldest posts so far."
                                 if room.replaced else ""))
    if not summary.numbers:
        st.info(f"No runs posted yet ({summary.total} posts in all). Results appear here as participants post them.")
        return
    settings, numbers = summary.settings, summary.numbers
    x_col, y_col = st.columns(2)
    x = x_col.selectbox("Setting (x)", settings, index=settings.index("T") if "T" in settings else 0, key="board.x",
                        format_func=lambda name: quantity(PAGE, name).words)
    y = y_col.selectbox("Result (y)", numbers, index=numbers.index("kd_acc") if "kd_acc" in numbers else 0,
                        key="board.y", format_func=lambda name: quantity(PAGE, name).title)
    if x is None:
        st.info("The posts have no numeric setting to plot against.")
        return
    st.plotly_chart(board.scatter_figure(room.code, summary, x, y), width="stretch", key="board.scatter")
    shown_x, shown_y = quantity(PAGE, x), quantity(PAGE, y)
    st.markdown(f"**Leaderboard: best {shown_y.words} per person**")
    top = summary.leaderboard(y)
    st.dataframe(pd.DataFrame([{"name": n, shown_y.title: round(v * shown_y.scale, 4), shown_x.words: s.get(x, ""),
                                **({"seed": s.get("seed", "")} if x != "seed" else {})} for n, v, s in top]),
                 hide_index=True)


if room_code:
    live_board(room_code)

if board.managed():
    st.subheader("Instructor controls")
    code, key = board.managed(), board.credential()
    lock_col, unlock_col, clear_col, export_col = st.columns(4)
    if lock_col.button("Lock (no more posts)", key="board.lock"):
        board.guarded(lambda: board.store().set_locked(code, key, True), "Room locked.")
    if unlock_col.button("Unlock", key="board.unlock"):
        board.guarded(lambda: board.store().set_locked(code, key, False), "Room unlocked.")
    confirm = clear_col.checkbox("Yes, delete every post", key="board.confirm_clear")
    if clear_col.button("Clear the room", key="board.clear", disabled=not confirm):
        board.guarded(lambda: board.store().clear(code, key), "Every post deleted.")
    if export_col.button("Prepare CSV", key="board.export"):
        data = board.guarded(lambda: board.store().export_csv(code, key))
        if data is not None:
            export_col.download_button("Download CSV", data, file_name=f"kdviz-room-{code}.csv", mime="text/csv",
                                       key="board.download")
