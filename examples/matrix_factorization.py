"""Matrix factorisation of a sparse ratings table, with per-user and per-item biases.

Each row of `users_table` and `items_table` is an embedding whose last entry is
a bias. Ratings not observed are NaN; users and items repeat across ratings.
"""

import numpy as np


def loss(users_table, items_table, user_ids, item_ids, ratings):
    u = users_table[user_ids]
    v = items_table[item_ids]
    prediction = np.sum(u[:, :-1] * v[:, :-1], axis=1) + u[:, -1] + v[:, -1]
    observed = ~np.isnan(ratings)
    error = prediction[observed] - ratings[observed]
    return np.mean(error**2) + 0.01 * np.sum(users_table[:, :-1] ** 2)


def example(n=30, users=5, items=4, rank=3):
    rng = np.random.default_rng(7)
    user_ids = rng.integers(users, size=n)
    item_ids = rng.integers(items, size=n)
    ratings = rng.integers(1, 6, size=n).astype(float)
    ratings[rng.random(n) < 0.2] = np.nan
    users_table = 0.1 * rng.normal(size=(users, rank))
    items_table = 0.1 * rng.normal(size=(items, rank))
    return users_table, items_table, user_ids, item_ids, ratings
