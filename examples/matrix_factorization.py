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


def example():
    rng = np.random.default_rng(7)
    user_ids = rng.integers(5, size=30)
    item_ids = rng.integers(4, size=30)
    ratings = rng.integers(1, 6, size=30).astype(float)
    ratings[rng.random(30) < 0.2] = np.nan
    users_table = 0.1 * rng.normal(size=(5, 3))
    items_table = 0.1 * rng.normal(size=(4, 3))
    return users_table, items_table, user_ids, item_ids, ratings
