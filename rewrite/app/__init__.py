"""The application: executing programs (session), stated verdicts, the command line and the REPL."""
