"""Tests of engine.rng: counter-based draws against reference values and standard-error bounds."""
import hashlib

import numpy as np

from engine.rng import mix64, pair_key, stable_uid, stream_code, uniform_at, year_generator

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
M1 = 0xBF58476D1CE4E5B9
M2 = 0x94D049BB133111EB
TWO52 = 2.0 ** 52


def ref_mix64(z):
    """SplitMix64 finaliser on Python ints (an independent reference implementation)."""
    z &= MASK
    z = ((z ^ (z >> 30)) * M1) & MASK
    z = ((z ^ (z >> 27)) * M2) & MASK
    return z ^ (z >> 31)


def ref_unmix64(z):
    """Inverse of the finaliser: undo each xorshift (fixed-point iteration) and multiply by the
    modular inverse of each constant mod 2^64."""
    def unxorshift(x, s):
        y = x
        for _ in range(64 // s + 1):
            y = x ^ (y >> s)
        return y
    z = unxorshift(z, 31)
    z = (z * pow(M2, -1, 1 << 64)) & MASK
    z = unxorshift(z, 27)
    z = (z * pow(M1, -1, 1 << 64)) & MASK
    return unxorshift(z, 30)


def draws(key, n, first=1):
    """uniform_at(key, first..first+n-1) as an array (key kept uint64, as inside the kernels)."""
    key = np.uint64(key)
    return np.array([uniform_at(key, q) for q in range(first, first + n)])


def test_mix64_published_splitmix64_vectors():
    # SplitMix64 seeded with 0 outputs mix64(k * golden) for k = 1, 2, 3 (Vigna's splitmix64.c):
    # 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F
    for k, expected in [(1, 0xE220A8397B1DCDAF), (2, 0x6E789E6AA1B965F4), (3, 0x06C45D188009454F)]:
        assert int(mix64(np.uint64((k * GOLDEN) & MASK))) == expected
        assert ref_mix64(k * GOLDEN) == expected


def test_pair_key_and_uniform_at_follow_documented_formula():
    # pair_key = mix(mix(mix(seed + g) ^ (event * g)) ^ uid); uniform_at = ((mix(key + q g) >> 11) + 0.5) / 2^53
    seed, event_id, uid = 20240611, 2_000_010_003, 0xDEADBEEFCAFEF00D
    h = ref_mix64(seed + GOLDEN)
    h = ref_mix64(h ^ ((event_id * GOLDEN) & MASK))
    key = ref_mix64(h ^ uid)
    assert int(pair_key(seed, event_id, np.uint64(uid))) == key
    for q in (1, 2, 1000):
        expected = ((ref_mix64(key + q * GOLDEN) >> 12) + 0.5) / TWO52
        assert uniform_at(np.uint64(key), q) == expected
    # key 0, sample 1: the first SplitMix64 output 0xE220A8397B1DCDAF, top 53 bits
    assert uniform_at(np.uint64(0), 1) == ((0xE220A8397B1DCDAF >> 12) + 0.5) / TWO52


def test_uniform_at_of_pair_key_round_trip_through_python():
    # the documented stream: key = pair_key(1, 2, uid 3), draw = ((mix(key + g) >> 12) + 0.5) / 2^52;
    # the key comes back to Python as an int and must still be treated as unsigned
    key = ref_mix64(ref_mix64(ref_mix64(1 + GOLDEN) ^ ((2 * GOLDEN) & MASK)) ^ 3)
    expected = ((ref_mix64(key + GOLDEN) >> 12) + 0.5) / TWO52
    assert uniform_at(pair_key(1, 2, np.uint64(3)), 1) == expected


def test_uniform_at_in_open_unit_interval_sampled():
    keys = [pair_key(7, e, np.uint64(u)) for e in range(20) for u in (1, 2, 3)]
    u = np.concatenate([draws(k, 500) for k in keys])
    assert np.all(u > 0.0) and np.all(u < 1.0)


def test_uniform_at_smallest_value():
    # mix64(key + g) == 0 gives the smallest draw 0.5 / 2^52 = 2^-53 > 0
    key = (ref_unmix64(0) - GOLDEN) & MASK
    assert uniform_at(np.uint64(key), 1) == 2.0 ** -53


def test_uniform_at_largest_value_below_one():
    # Choose the key so that mix64(key + 1 * g) = 2^64 - 1 (invert the bijective finaliser): then
    # z >> 12 = 2^52 - 1 and the draw is (2^52 - 0.5) / 2^52 = 1 - 2^-53, the largest double below 1
    # (with 53 bits this case rounded to exactly 1.0).
    key = (ref_unmix64(MASK) - GOLDEN) & MASK
    assert ref_mix64(key + GOLDEN) == MASK
    assert uniform_at(np.uint64(key), 1) == 1.0 - 2.0 ** -53


def test_uniform_moments_within_standard_errors():
    # 10^5 draws of U(0, 1): mean 1/2 with SE sqrt(1/12 / n); variance 1/12 with
    # SE sqrt((mu4 - sigma^4) / n) = sqrt((1/80 - 1/144) / n) = sqrt(1 / (180 n)). Fixed key.
    n = 100_000
    u = draws(pair_key(12345, 1, np.uint64(1)), n)
    assert abs(u.mean() - 0.5) < 4.0 * np.sqrt(1.0 / 12.0 / n)
    assert abs(u.var() - 1.0 / 12.0) < 4.0 * np.sqrt(1.0 / (180.0 * n))
    # each decile holds 1/10 of the draws: binomial SE sqrt(0.1 * 0.9 / n)
    counts = np.bincount(np.minimum((u * 10).astype(int), 9), minlength=10) / n
    assert np.all(np.abs(counts - 0.1) < 4.0 * np.sqrt(0.09 / n))
    # consecutive samples uncorrelated: lag-1 correlation SE ~ 1 / sqrt(n)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 4.0 / np.sqrt(n)


def test_different_keys_give_different_streams():
    n = 2000
    base = pair_key(1, 100, np.uint64(5))
    variants = [pair_key(2, 100, np.uint64(5)),   # seed
                pair_key(1, 101, np.uint64(5)),   # event
                pair_key(1, 100, np.uint64(6))]   # risk
    assert len({base, *variants}) == 4
    a = draws(base, n)
    for key in variants:
        b = draws(key, n)
        assert not np.any(a == b)
        assert abs(np.corrcoef(a, b)[0, 1]) < 4.0 / np.sqrt(n)
    # different sample numbers of one key are different draws, and a draw depends only on (key, q)
    assert draws(base, 10, first=1)[3] == draws(base, 1, first=4)[0]
    assert len(set(draws(base, 100).tolist())) == 100


def test_pair_key_reproducible():
    assert pair_key(3, 4, np.uint64(5)) == pair_key(3, 4, np.uint64(5))


def test_year_generator_reproducible_and_keyed():
    a = year_generator(42, "typhoon.tracks", 2001).random(5)
    # a different order of creation does not matter: each (seed, stream, year) is its own stream
    other = year_generator(42, "typhoon.tracks", 2002).random(5)
    b = year_generator(42, "typhoon.tracks", 2001).random(5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, other)
    assert not np.array_equal(a, year_generator(43, "typhoon.tracks", 2001).random(5))
    assert not np.array_equal(a, year_generator(42, "rainstorm.cells", 2001).random(5))
    # the documented seeding: SeedSequence([seed, stream code, year]) into PCG64
    ref = np.random.Generator(np.random.PCG64(np.random.SeedSequence([42, stream_code("typhoon.tracks"), 2001])))
    np.testing.assert_array_equal(a, ref.random(5))


def test_stream_code_stable_63_bit():
    digest = hashlib.blake2b(b"typhoon.tracks", digest_size=8).digest()
    assert stream_code("typhoon.tracks") == int.from_bytes(digest, "little") >> 1
    assert 0 <= stream_code("x") < 2 ** 63
    assert stream_code("a") != stream_code("b")


def test_stable_uid_stable_for_equal_labels():
    uid = stable_uid(["R001", "R002", "R001"])
    assert uid.dtype == np.uint64 and uid.shape == (3,)
    assert uid[0] == uid[2] and uid[0] != uid[1]
    # independent of position and of the call: the hash of the label's text
    again = stable_uid(["R002", "R001"])
    assert again[0] == uid[1] and again[1] == uid[0]
    expected = int.from_bytes(hashlib.blake2b(b"R001", digest_size=8).digest(), "little")
    assert int(uid[0]) == expected
    # labels are hashed as text: 7 and "7" are the same risk id
    assert stable_uid([7])[0] == stable_uid(["7"])[0]
