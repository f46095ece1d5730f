// Everything of the tern client library in one include.
#pragma once

#include "tern/connection.h"
#include "tern/direct.h"
#include "tern/interest.h"
#include "tern/join.h"
#include "tern/message.h"
#include "tern/options.h"
#include "tern/patterns.h"
#include "tern/pipeline.h"
#include "tern/status.h"
#include "tern/subscription.h"
