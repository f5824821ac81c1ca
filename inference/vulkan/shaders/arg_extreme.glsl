// SPDX-License-Identifier: Apache-2.0
// The order ArgMax, ArgMin and Hardmax pick their index by (the same as cpu/arg_extreme.h,
// numpy's argmax/argmin): a NaN beats every number, then the larger (isMax) or smaller value;
// among equals the first index wins, or the last with selectLast. Whether v, met after `best`
// along the axis, takes its place:
bool replacesExtreme(float v, float best, bool isMax, bool selectLast) {
    if (isnan(best)) return selectLast && isnan(v);
    if (isnan(v)) return true;
    if (selectLast) return isMax ? v >= best : v <= best;
    return isMax ? v > best : v < best;
}
