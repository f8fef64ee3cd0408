import { cellToText, numberToText, spreadsheetNumberToText } from '../../../layers/core/formats/cell-text';
import { measureWidth, neutralizeFormula } from '../../../layers/core/formats/neutralize';

describe('neutralizeFormula', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['+33 6 12', "'+33 6 12"],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', "'\rcmd"],
    ['a=b', 'a=b'],
    ['', ''],
    [' =1', ' =1'],
  ])('%j → %j', (value, expected) => {
    expect(neutralizeFormula(value)).toBe(expected);
  });
});

describe('measureWidth', () => {
  it.each<[Parameters<typeof measureWidth>[0], number]>([
    [null, 0],
    ['Hammer', 6],
    ['short\nmuch longer line', 16],
    ['東京', 4],
    ['Łódź', 4],
    [12.5, 4],
    [true, 4],
  ])('%j → %d', (cell, expected) => {
    expect(measureWidth(cell)).toBe(expected);
  });
});

describe('numberToText', () => {
  it.each([
    [1e21, '1000000000000000000000'],
    [-1.5e22, '-15000000000000000000000'],
    [1e-7, '0.0000001'],
    [-2.5e-7, '-0.00000025'],
    [12.5, '12.5'],
    [0, '0'],
    [Number.NaN, ''],
  ])('%p → %j', (value, expected) => {
    expect(numberToText(value)).toBe(expected);
  });
});

describe('spreadsheetNumberToText', () => {
  it.each([
    [0.1 + 0.2, '0.3'],
    [1234567.1 * 3, '3703701.3'],
    [9007199254740991, '9007199254740991'],
    [2 ** 60, '1152921504606850000'],
  ])('%p → %j', (value, expected) => {
    expect(spreadsheetNumberToText(value)).toBe(expected);
  });
});

describe('cellToText', () => {
  it('renders null, booleans and numbers as an importer reads them', () => {
    expect([null, true, false, 42, -3.25, 'as is'].map(cellToText)).toEqual(['', 'true', 'false', '42', '-3.25', 'as is']);
  });
});
