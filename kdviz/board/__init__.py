"""The class board: workshop rooms with a code, where participants post the results of their runs.

store.py keeps rooms and posts in a SQLAlchemy database (a SQLite file by default,
KDVIZ_BOARD_URL for any other); schema.py holds the tables and their explicit migrations;
rules.py what a post may hold; summary.py turns a room's posts into what the board draws.
"""
from kdviz.board.rules import BoardError, BoardUnavailable
from kdviz.board.store import Board, Post, Room

__all__ = ["Board", "BoardError", "BoardUnavailable", "Post", "Room"]
