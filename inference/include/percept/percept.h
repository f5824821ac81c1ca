// SPDX-License-Identifier: Apache-2.0
#pragma once
// Everything a program embedding the engine needs.
#include "percept/backend.h"
#include "percept/error.h"
#include "percept/model.h"
#include "percept/session.h"
#include "percept/stats.h"
#include "percept/tensor.h"
