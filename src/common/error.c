/*
 * error.c - messages and names for sb_err, generated from the list in error.h.
 */
#include "spotbot/error.h"

static const char *const messages[] = {
#define SB_ERR_MSG(name, msg) msg,
    SB_ERRORS(SB_ERR_MSG)
#undef SB_ERR_MSG
};

static const char *const names[] = {
#define SB_ERR_NAME(name, msg) #name,
    SB_ERRORS(SB_ERR_NAME)
#undef SB_ERR_NAME
};

const char *sb_strerror(sb_err err)
{
	if ((unsigned)err >= (unsigned)SB_ERR__COUNT)
		return "unknown error";
	return messages[err];
}

const char *sb_errname(sb_err err)
{
	if ((unsigned)err >= (unsigned)SB_ERR__COUNT)
		return "SB_ERR_UNKNOWN";
	return names[err];
}
