"""Unit tests of the emulator's Table DAT and Cell against TouchDesigner's documentation (https://docs.derivative.ca/TableDAT_Class, https://docs.derivative.ca/Cell_Class)."""
import unittest

from tdemu import Cell, OpCounter, TableDAT

HEADER = ['user', 'valuex', 'valuey', 'speed', 'angle']


def table(*rows):
    return TableDAT('t', [HEADER] + [list(r) for r in rows])


class Addressing(unittest.TestCase):
    def test_labels_and_indices(self):
        t = table(['42', 1, 2, 3, 4], ['7', 5, 6, 7, 8])
        self.assertEqual(t['42', 'valuey'].val, '2')
        self.assertEqual(t[2, 1].val, '5')
        self.assertEqual(t['7', 4].val, '8')
        # '42' is a label, 42 an index: the gotcha the generated code avoids with str(uid)
        self.assertIsNone(t[42, 'valuex'])

    def test_missing_lookups_return_none(self):
        t = table(['1', 0, 0, 0, 0])
        self.assertIsNone(t['nobody', 0])
        self.assertIsNone(t[0, 'nocol'])
        self.assertIsNone(t[99, 0])
        self.assertIsNone(t[-1, 0])
        self.assertTrue(not t['nobody', 0])

    def test_no_pattern_matching_in_brackets(self):
        t = table(['abc', 0, 0, 0, 0])
        self.assertIsNone(t['a*', 0])
        self.assertEqual(t.row('a*', val=True)[0], 'abc')

    def test_values_stored_as_strings(self):
        t = table(['1', 0, 0, 0, 0])
        t[1, 1] = 12.5
        t['1', 'valuey'] = -3
        self.assertEqual(t[1, 1].val, '12.5')
        self.assertEqual(t[1, 2].val, '-3')
        self.assertEqual(t.values()[1], ['1', '12.5', '-3', '0', '0'])

    def test_assigning_to_a_missing_row_raises(self):
        t = table()
        with self.assertRaises(IndexError):
            t['ghost', 'valuex'] = 1


class CellBehaviour(unittest.TestCase):
    def test_conversions_and_comparisons(self):
        t = table(['1', '2.5', 'x', '', '7'])
        c = t[1, 1]
        self.assertIsInstance(c, Cell)
        self.assertEqual(float(c), 2.5)
        self.assertEqual(int(t[1, 4]), 7)
        self.assertEqual(str(c), '2.5')
        self.assertTrue(c == 2.5)
        self.assertTrue(c == '2.5')
        self.assertFalse(c == None)  # noqa: E711 - the behaviour under test
        self.assertFalse(t[1, 2] == 3)
        self.assertTrue(bool(t[1, 3]))  # empty cells stay truthy
        self.assertEqual((c.row, c.col), (1, 1))
        self.assertEqual(c.offset(0, 1).val, 'x')

    def test_cell_becomes_invalid_when_its_row_goes(self):
        t = table(['1', 0, 0, 0, 0])
        c = t[1, 0]
        self.assertTrue(c.valid)
        t.deleteRow(1)
        self.assertFalse(c.valid)


class Editing(unittest.TestCase):
    def test_append_insert_replace(self):
        t = table()
        self.assertEqual(t.appendRow(['a', 1, 2, 3, 4]), 1)
        self.assertEqual(t.appendRow(['c', 1, 2, 3, 4]), 2)
        self.assertEqual(t.appendRow(['b', 0, 0, 0, 0], 'a'), 2)  # after row 'a'
        self.assertEqual([r[0] for r in t.values()], ['user', 'a', 'b', 'c'])
        self.assertEqual(t.insertRow(['z', 0, 0, 0, 0], 1), 1)  # before row 1
        self.assertEqual(t.insertRow(['top', 0, 0, 0, 0]), 0)
        self.assertEqual(t.values()[0][0], 'top')
        t.replaceRow('b', ['B', 9])
        self.assertEqual(t.values()[4], ['B', '9', '', '', ''])
        t.replaceRow('B', ['b2'], entireRow=False)
        self.assertEqual(t.values()[4], ['b2', '9', '', '', ''])
        self.assertEqual(t.appendRows([['d'], ['e']]), 7)

    def test_padding_and_widening_are_logged(self):
        t = table()
        t.appendRow(['short'])
        self.assertEqual(t.values()[1], ['short', '', '', '', ''])
        t.appendRow(['a', 1, 2, 3, 4, 5])
        self.assertEqual(t.numCols, 6)
        self.assertEqual(len(t.log), 2)

    def test_delete(self):
        t = table(['a', 0, 0, 0, 0], ['b', 0, 0, 0, 0], ['c', 0, 0, 0, 0], ['d', 0, 0, 0, 0])
        t.deleteRow('b')
        t.deleteRow(1)
        self.assertEqual([r[0] for r in t.values()], ['user', 'c', 'd'])
        with self.assertRaises(IndexError):
            t.deleteRow('ghost')
        t.deleteRows([])
        t.deleteRows(['c', 2])
        self.assertEqual(t.values(), [HEADER])

    def test_clear_variants(self):
        rows = [['a', 1, 2, 3, 4], ['b', 5, 6, 7, 8]]
        t = table(*rows)
        t.clear(keepFirstRow=True)
        self.assertEqual(t.values(), [HEADER])
        t = table(*rows)
        t.clear()
        self.assertEqual((t.numRows, t.numCols), (0, 0))
        t = table(*rows)
        t.clear(keepSize=True)
        self.assertEqual((t.numRows, t.numCols), (3, 5))
        self.assertEqual(t.values()[1], [''] * 5)
        t = table(*rows)
        t.clear(keepFirstCol=True)
        self.assertEqual(t.values(), [['user'], ['a'], ['b']])
        t = table(*rows)
        t.clear(keepFirstRow=True, keepFirstCol=True)
        self.assertEqual(t.values(), [HEADER, ['a', '', '', '', ''], ['b', '', '', '', '']])

    def test_set_size(self):
        t = table(['a', 1, 2, 3, 4])
        t.setSize(3, 2)
        self.assertEqual(t.values(), [['user', 'valuex'], ['a', '1'], ['', '']])


class Views(unittest.TestCase):
    def test_rows_cols_find_text(self):
        t = table(['a1', 1, 2, 3, 4], ['b1', 5, 6, 7, 8])
        self.assertEqual(t.row('b*', val=True), ['b1', '5', '6', '7', '8'])
        self.assertIsNone(t.row('zz'))
        self.assertEqual(t.col('speed', val=True), ['speed', '3', '7'])
        self.assertEqual(len(t.rows()), 3)
        self.assertEqual(len(t.rows('*1')), 2)
        self.assertEqual(len(t.cols()), 5)
        self.assertEqual(t.findCell('B1').row, 2)  # case-insensitive by default
        self.assertIsNone(t.findCell('B1', caseSensitive=True))
        self.assertIsNone(t.findCell('b*', valuePattern=False))
        self.assertEqual(t.cell('a*', 'val*', val=True), '1')
        self.assertEqual(t.text.splitlines()[1], 'a1\t1\t2\t3\t4')


class Counting(unittest.TestCase):
    def test_label_lookups_scan_rows_and_index_lookups_do_not(self):
        """The cost model the flat-cost tests rely on: a label lookup costs rows, an index lookup does not."""
        costs = {}
        for n in (10, 1000):
            c = OpCounter()
            t = TableDAT('t', [HEADER] + [[str(i), 0, 0, 0, 0] for i in range(n)], counter=c)
            c.reset()
            t[str(n - 1), 'valuex'] = 1  # the tutorial's per-message lookup
            by_label = c.total()
            c.reset()
            t[n, 1] = 1
            by_index = c.total()
            costs[n] = (by_label, by_index)
        self.assertGreater(costs[1000][0], 50 * costs[10][0])
        self.assertEqual(costs[10][1], costs[1000][1])

    def test_deleting_early_rows_shifts_the_rest(self):
        c = OpCounter()
        t = TableDAT('t', [HEADER] + [[str(i)] * 5 for i in range(100)], counter=c)
        c.reset()
        t.deleteRow(1)
        self.assertEqual(c.counts['rows_shifted'], 99)
        c.reset()
        t.deleteRow(t.numRows - 1)
        self.assertEqual(c.counts.get('rows_shifted', 0), 0)


if __name__ == '__main__':
    unittest.main()
