"""Reference data of the synthetic network: categories, regions, branch names, service tiers, pack sizes.

Split from ``generate`` (which names them too); changing a table changes every scenario drawn from a seed.
"""

import numpy as np

CATEGORIES = [
    ("Fasteners", False),
    ("Electrical", False),
    ("Plumbing", True),
    ("HVAC", True),
    ("Safety", True),
    ("Power Tools", False),
    ("Hand Tools", False),
    ("Abrasives", False),
    ("Adhesives & Sealants", False),
    ("Pumps", True),
    ("Bearings", False),
    ("Lighting", False),
    ("Janitorial", True),
    ("Welding", False),
    ("Hydraulics", False),
    ("Material Handling", False),
    ("Generators", True),
    ("Roofing", True),
]
REGIONS = [
    ("North", "America/Chicago"),
    ("South", "America/Chicago"),
    ("East", "America/New_York"),
    ("West", "America/Denver"),
    ("Coast", "America/Los_Angeles"),
    ("Gulf", "America/Chicago"),
    ("Lakes", "America/Detroit"),
    ("Plains", "America/Chicago"),
]
LOCATION_NAMES = [
    "Central DC",
    "North Branch",
    "East Branch",
    "West Branch",
    "Coast Branch",
    "Gulf Branch",
    "Lakes Branch",
    "Plains Branch",
]
TIERS = [
    # code, name, rank, fill promise, penalty per late line, penalty share of line value, share of customers
    ("platinum", "Platinum", 1, 0.98, 150.0, 0.10, 0.10),
    ("gold", "Gold", 2, 0.95, 50.0, 0.05, 0.25),
    ("standard", "Standard", 3, 0.90, 0.0, 0.0, 0.65),
]
PACK_SIZES = np.array([1, 1, 1, 1, 5, 6, 10, 12, 24, 50])
BUYERS_PER_NETWORK = 3
SOURCE = "erp"
