"""The Tryton adapter: a Tryton ERP (trytond with stock, purchase, sale, stock_supply) over its JSON-RPC.

client (HTTP, sessions, Tryton's JSON types) -> queries (what each entity reads, changed since a time) -> adapter
(pages and cursors; postings in postings.py) -> the inbox handler pages.py (translate.py, translate_orders.py: Tryton
records to DistOps rows, with the quality gates) ; network.py and demo.py load a network into Tryton.
"""
