"""Class board: a workshop's room, where participants post their runs and everyone sees the class's results."""
import pandas as pd
import streamlit as st

from kdviz.board import rules
from ui import board, guide

st.title("Class board")
guide.notice("board")

MANAGE, KEY, SHOWN_KEY = "board.manage", "board.key", "board.key_shown"
PAGE = "live"  # the page whose posts the board plots (Live training posts T, alpha and accuracies)

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
    with st.expander("Create a room", expanded=MANAGE not in st.session_state):
        title = st.text_input("Room title", value="KD workshop", max_chars=60, key="board.title")
        if st.button("Create room", key="board.create"):
            made = board.guarded(lambda: board.store().create_room(title))
            if made:
                st.session_state[MANAGE], st.session_state[KEY] = made
                st.session_state[SHOWN_KEY] = made[1]
    with st.expander("Manage a room", expanded=False):
        st.text_input("Room code", key=MANAGE)
        st.text_input("Instructor key", type="password", key=KEY)
    shown = st.session_state.pop(SHOWN_KEY, None)
    if shown:  # shown once, right after creating the room
        st.success(f"Room **{st.session_state[MANAGE]}** is open: give this code to the class.")
        st.markdown("Your **instructor key** (shown only now: copy it to lock, clear or export the room later):")
        st.code(shown, language=None)

room_code = st.session_state.get(MANAGE) or (board.membership() or ("",))[0]
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
    x = x_col.selectbox("Setting (x)", settings, index=settings.index("T") if "T" in settings else 0, key="board.x")
    y = y_col.selectbox("Result (y)", numbers, index=numbers.index("kd_acc") if "kd_acc" in numbers else 0,
                        key="board.y")
    if x is None:
        st.info("The posts have no numeric setting to plot against.")
        return
    st.plotly_chart(board.scatter_figure(room.code, summary, x, y), width="stretch", key="board.scatter")
    st.markdown(f"**Leaderboard: best {y} per person**")
    top = summary.leaderboard(y)
    st.dataframe(pd.DataFrame([{"name": n, y: v, x: s.get(x, "")} for n, v, s in top]), hide_index=True)


if room_code:
    live_board(room_code)

if room_code and st.session_state.get(KEY):
    st.subheader("Instructor controls")
    code, key = st.session_state[MANAGE], st.session_state[KEY]
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
