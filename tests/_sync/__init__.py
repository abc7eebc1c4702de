# DO NOT EDIT: generated from tests/_async/__init__.py by build_sync.py.
# Change the async source and run `python build_sync.py`.
