"""The .tn language: syntax tree, parser, sizes, and the builder from syntax to diagrams and rules."""
