/*
 * codec_fast.h - the hot stream messages read without a cJSON tree (codec_fast.c), and the tree parsers
 * they stand in front of (codec.c), both named here so the differential test and the fuzz targets can run
 * the two paths side by side. Not public: sb_bn_market_parse, sb_bn_user_event_parse and
 * sb_bn_ws_frame_parse (binance.h, codec_doc.h) try the fast path first and fall back to the tree.
 *
 * The fast path takes a frame only when it reads it exactly as the tree would, into the same struct; it
 * declines everything else (returns false) without a message, and the tree then parses the frame and
 * names what was wrong. So the two paths never disagree: a frame the fast path takes, the tree takes too
 * and fills identically; every error comes from the tree.
 */
#ifndef SPOTBOT_EXCHANGE_CODEC_FAST_H
#define SPOTBOT_EXCHANGE_CODEC_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include "exchange/codec_doc.h"
#include "spotbot/binance.h"

/* Tokens of one hot frame (an executionReport in its envelope uses about 90); more declines. */
#define SB_BN_FAST_TOKENS 128

/* A bookTicker, bare or in the combined-stream envelope: true with *out filled; false declines (the
 * contents of *out are then unspecified). Allocates nothing. */
bool sb_bn__market_fast(const char *frame, size_t len, struct sb_bn_market_msg *out);

/* An executionReport, bare or in the {"subscriptionId","event"} envelope; with ws_frame, only the
 * enveloped form without "status" (as sb_bn_ws_frame_parse tells an event from a response). As above. */
bool sb_bn__user_fast(const char *frame, size_t len, bool ws_frame, struct sb_bn_user_event *out);

/* The tree parsers alone: what the public parsers do when the fast path declines. */
sb_err sb_bn__market_tree(const char *frame, size_t len, struct sb_bn_market_msg *out, char *err,
                          size_t errcap);
sb_err sb_bn__user_tree(const char *frame, size_t len, struct sb_bn_user_event *out, char *err,
                        size_t errcap);
sb_err sb_bn__ws_frame_tree(const char *frame, size_t len, struct sb_bn_ws_frame *out, char *err,
                            size_t errcap);

#endif
