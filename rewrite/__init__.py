"""penrose-rewrite: symbolic rewriting for Penrose graphical tensor notation.

The data flow, top to bottom: text -> syntax tree (`parse`) -> diagram, a port
graph (`build`, `diagram`) -> rules (`match`, `engine`) -> normal form ->
canonical form (`canon`) -> verdict (`prove`); the numeric path (`sample`,
`numeric`) runs beside it and checks every step.
"""
__version__ = "0.1.0"
