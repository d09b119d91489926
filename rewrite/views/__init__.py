"""Presentation: index-notation printer, layout and pictures, exports, HTML reports."""
