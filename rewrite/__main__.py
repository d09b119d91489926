from .app.cli import main

# Guarded: the process pool that contracts slices starts its workers by a
# fork server, which imports the main module under another name.
if __name__ == "__main__":
    main()
