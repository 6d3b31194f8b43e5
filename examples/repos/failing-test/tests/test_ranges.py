import unittest

from ranges import inclusive_range


class InclusiveRangeTest(unittest.TestCase):
    def test_includes_both_ends(self):
        self.assertEqual(inclusive_range(1, 4), [1, 2, 3, 4])

    def test_single_value(self):
        self.assertEqual(inclusive_range(7, 7), [7])


if __name__ == "__main__":
    unittest.main()
