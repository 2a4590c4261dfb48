/* JMESPath over json-c values, for the CLI's --query.
 *
 * The lexer turns the expression into a token array (the token names are Python jmespath's,
 * because they appear in the aws CLI's error messages); a Pratt parser with Python jmespath's
 * binding powers builds a tree; the evaluator walks the tree over a json-c value. JSON null is a
 * NULL json_object throughout, as json-c itself has it. Every node records its height, and the
 * parser refuses a tree higher than JMESPATH_MAX_DEPTH, so the recursion of the parser, the
 * evaluator and the free is bounded whatever the input. */
#include "ec2lite/jmespath.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok {
	T_EOF, T_UNQUOTED, T_QUOTED, T_NUMBER, T_LITERAL, T_DOT, T_STAR, T_LBRACKET, T_RBRACKET,
	T_LBRACE, T_RBRACE, T_COMMA, T_COLON, T_PIPE, T_OR, T_AND, T_NOT, T_EQ, T_NE, T_GT, T_GTE,
	T_LT, T_LTE, T_LPAREN, T_RPAREN, T_FLATTEN, T_FILTER, T_CURRENT, T_EXPREF,
};

static const struct {
	const char *name;
	int bp; /* binding power, Python jmespath's */
} tok_info[] = {
	[T_EOF] = { "eof", 0 },
	[T_UNQUOTED] = { "unquoted_identifier", 0 },
	[T_QUOTED] = { "quoted_identifier", 0 },
	[T_NUMBER] = { "number", 0 },
	[T_LITERAL] = { "literal", 0 },
	[T_DOT] = { "dot", 40 },
	[T_STAR] = { "star", 20 },
	[T_LBRACKET] = { "lbracket", 55 },
	[T_RBRACKET] = { "rbracket", 0 },
	[T_LBRACE] = { "lbrace", 50 },
	[T_RBRACE] = { "rbrace", 0 },
	[T_COMMA] = { "comma", 0 },
	[T_COLON] = { "colon", 0 },
	[T_PIPE] = { "pipe", 1 },
	[T_OR] = { "or", 2 },
	[T_AND] = { "and", 3 },
	[T_NOT] = { "not", 45 },
	[T_EQ] = { "eq", 5 },
	[T_NE] = { "ne", 5 },
	[T_GT] = { "gt", 5 },
	[T_GTE] = { "gte", 5 },
	[T_LT] = { "lt", 5 },
	[T_LTE] = { "lte", 5 },
	[T_LPAREN] = { "lparen", 60 },
	[T_RPAREN] = { "rparen", 0 },
	[T_FLATTEN] = { "flatten", 9 },
	[T_FILTER] = { "filter", 21 },
	[T_CURRENT] = { "current", 0 },
	[T_EXPREF] = { "expref", 0 },
};

/* Tokens with a binding power below this end a projection's right-hand side. */
#define PROJECTION_STOP 10

struct token {
	enum tok type;
	size_t start, end;  /* byte offsets in the expression */
	char *str;          /* identifiers: the name (decoded) */
	long long num;      /* numbers */
	json_object *lit;   /* literals: the value (owned; NULL is JSON null) */
};

enum ntype {
	N_FIELD, N_CURRENT, N_LITERAL, N_SUBEXPR, N_INDEX, N_INDEX_EXPR, N_SLICE, N_PROJECTION,
	N_VALUE_PROJECTION, N_FILTER_PROJECTION, N_FLATTEN, N_COMPARATOR, N_OR, N_AND, N_NOT,
	N_PIPE, N_MULTI_LIST, N_MULTI_HASH, N_FUNCTION, N_EXPREF,
};

struct node {
	enum ntype type;
	int height;
	int op;              /* N_COMPARATOR: the token; N_FUNCTION: index in functions[] */
	long long num[3];    /* N_INDEX: num[0]; N_SLICE: start, stop, step */
	bool has[3];         /* N_SLICE: which of them were given */
	char *name;          /* N_FIELD */
	json_object *lit;    /* N_LITERAL (owned) */
	struct node *l, *r, *cond;
	struct node **kids;  /* N_MULTI_LIST, N_MULTI_HASH, N_FUNCTION */
	char **keys;         /* N_MULTI_HASH */
	size_t nkids;
};

struct jmespath {
	struct node *root;
};

/* ---- errors ---- */

const char *jmespath_errclass_name(enum jmespath_errclass kind)
{
	switch (kind) {
	case JMESPATH_ERR_SYNTAX: return "syntax";
	case JMESPATH_ERR_INVALID_TYPE: return "invalid-type";
	case JMESPATH_ERR_INVALID_ARITY: return "invalid-arity";
	case JMESPATH_ERR_UNKNOWN_FUNCTION: return "unknown-function";
	case JMESPATH_ERR_INVALID_VALUE: return "invalid-value";
	case JMESPATH_ERR_NOMEM: return "nomem";
	}
	return "unknown";
}

static void set_err(struct jmespath_error *err, enum jmespath_errclass kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(struct jmespath_error *err, enum jmespath_errclass kind, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/* Python counts columns in characters, not bytes. */
static size_t column(const char *expr, size_t byte)
{
	size_t i, col = 0;

	for (i = 0; i < byte && expr[i]; i++)
		if (((unsigned char)expr[i] & 0xC0) != 0x80)
			col++;
	return col;
}

/* The three shapes of Python jmespath's parse errors (LexerError, IncompleteExpressionError,
 * ParseError), with the caret line under the column. */
static void lexer_error(struct jmespath_error *err, const char *expr, size_t pos, const char *what)
{
	size_t col = column(expr, pos);

	set_err(err, JMESPATH_ERR_SYNTAX, "Bad jmespath expression: %s:\n%s\n%*s^", what, expr,
		(int)col, "");
}

static void incomplete_error(struct jmespath_error *err, const char *expr)
{
	size_t col = column(expr, strlen(expr));

	set_err(err, JMESPATH_ERR_SYNTAX,
		"Invalid jmespath expression: Incomplete expression:\n\"%s\"\n%*s^", expr,
		(int)col + 1, "");
}

static void py_str(json_object *v, char *out, size_t size);

/* A token as Python jmespath's messages show it: its value (a literal's as Python's str(), a
 * quoted identifier's name), not its text in the expression. */
static void token_value(const char *expr, const struct token *t, char *out, size_t size)
{
	if (t->type == T_LITERAL)
		py_str(t->lit, out, size);
	else if (t->type == T_QUOTED && t->str)
		snprintf(out, size, "%s", t->str);
	else
		snprintf(out, size, "%.*s", (int)(t->end - t->start), expr + t->start);
}

static void parse_error(struct jmespath_error *err, const char *expr, const struct token *t,
			const char *reason)
{
	size_t col = column(expr, t->start), i;
	char type[32], value[512];

	/* Python prints the token's type upper-cased. */
	for (i = 0; tok_info[t->type].name[i] && i + 1 < sizeof(type); i++) {
		char c = tok_info[t->type].name[i];

		type[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	type[i] = '\0';
	token_value(expr, t, value, sizeof(value));
	set_err(err, JMESPATH_ERR_SYNTAX,
		"%s: Parse error at column %zu, token \"%s\" (%s), for expression:\n\"%s\"\n%*s^",
		reason, col, value, type, expr, (int)col + 1, "");
}

/* ---- lexer ---- */

struct lexer {
	const char *s;
	size_t pos, len;
	struct token *toks;
	size_t ntoks, cap;
	struct jmespath_error *err;
};

static struct token *push_tok(struct lexer *lx, enum tok type, size_t start, size_t end)
{
	struct token *t;

	if (lx->ntoks == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 16;
		struct token *n = realloc(lx->toks, cap * sizeof(*n));

		if (!n)
			return NULL;
		lx->toks = n;
		lx->cap = cap;
	}
	t = &lx->toks[lx->ntoks++];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->start = start;
	t->end = end;
	return t;
}

static void free_tokens(struct token *toks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(toks[i].str);
		json_object_put(toks[i].lit);
	}
	free(toks);
}

/* Reads up to the closing delimiter, a backslash escaping the next character (kept in the text,
 * as Python's _consume_until keeps it). Returns a new string, or NULL for an unclosed one. */
static char *consume_until(struct lexer *lx, char delim, size_t *len)
{
	size_t start = lx->pos++, n = 0;
	char *buf = malloc(lx->len - start + 1);

	if (!buf)
		return NULL;
	while (lx->pos < lx->len && lx->s[lx->pos] != delim) {
		if (lx->s[lx->pos] == '\\') {
			buf[n++] = '\\';
			lx->pos++;
			if (lx->pos >= lx->len)
				break;
		}
		buf[n++] = lx->s[lx->pos++];
	}
	if (lx->pos >= lx->len) {
		free(buf);
		lexer_error(lx->err, lx->s, start, delim == '`' ? "Unclosed ` delimiter"
				: delim == '"' ? "Unclosed \" delimiter" : "Unclosed ' delimiter");
		return NULL;
	}
	lx->pos++;
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Replaces each backslash-delim pair with delim, in place. */
static void unescape_delim(char *s, char delim)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == delim)
			s++;
		*w++ = *s;
	}
	*w = '\0';
}

/* Parses a whole string as one JSON value; false if it is not exactly one. */
static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* What json-c's strict mode lets through and Python's json.loads (which reads literals and
 * quoted identifiers in the aws CLI) refuses: a number outside JSON's grammar (2., .5, 01, +1)
 * and a control character inside a string. */
static bool json_text_ok(const char *s)
{
	bool in_str = false;

	while (*s) {
		const char *p = s;

		if (in_str) {
			if ((unsigned char)*s < 0x20)
				return false;
			if (*s == '"')
				in_str = false;
			s += *s == '\\' && s[1] ? 2 : 1;
			continue;
		}
		if (*s == '"') {
			in_str = true;
			s++;
			continue;
		}
		if (!is_digit(*s) && !strchr("-+.", *s)) {
			s++;
			continue;
		}
		if (*p == '-')
			p++;
		if (*p == '0')
			p++;
		else if (is_digit(*p))
			while (is_digit(*p))
				p++;
		else
			return false;
		if (*p == '.') {
			if (!is_digit(*++p))
				return false;
			while (is_digit(*p))
				p++;
		}
		if (*p == 'e' || *p == 'E') {
			p++;
			if (*p == '+' || *p == '-')
				p++;
			if (!is_digit(*p))
				return false;
			while (is_digit(*p))
				p++;
		}
		if (is_digit(*p) || *p == '.')
			return false;
		s = p;
	}
	return true;
}

static bool parse_json(const char *text, json_object **out)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	size_t len = strlen(text), off;
	json_object *o;

	if (!tok)
		return false;
	if (!json_text_ok(text)) {
		json_tokener_free(tok);
		return false;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* The terminating NUL too: without it json-c waits for more of a lone number or word. */
	o = json_tokener_parse_ex(tok, text, (int)len + 1);
	if (json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(o);
		json_tokener_free(tok);
		return false;
	}
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (; off < len && text[off]; off++)
		if (!strchr(" \t\n\r", text[off])) {
			json_object_put(o);
			return false;
		}
	*out = o;
	return true;
}

static bool lex_literal(struct lexer *lx)
{
	size_t start = lx->pos, len;
	char *text = consume_until(lx, '`', &len);
	json_object *v = NULL;
	struct token *t;

	if (!text)
		return false;
	unescape_delim(text, '`');
	/* A lone JSON number, or a value json-c stops reading early (`1 2`), fail here. */
	if (!parse_json(text, &v)) {
		/* Python jmespath still reads `foo` (JEP 12's deprecated form) as the string
		 * "foo": it quotes the text after leading blanks and parses that. */
		const char *p = text;
		char *quoted;

		while (*p && strchr(" \t\n\r", *p))
			p++;
		quoted = malloc(strlen(p) + 3);
		if (!quoted || (sprintf(quoted, "\"%s\"", p), !parse_json(quoted, &v))) {
			char what[512];

			snprintf(what, sizeof(what), "Bad token %s", text);
			lexer_error(lx->err, lx->s, start, what);
			free(quoted);
			free(text);
			return false;
		}
		free(quoted);
	}
	free(text);
	t = push_tok(lx, T_LITERAL, start, lx->pos);
	if (!t) {
		json_object_put(v);
		return false;
	}
	t->lit = v;
	return true;
}

static bool lex_raw_string(struct lexer *lx)
{
	size_t start = lx->pos, len;
	char *text = consume_until(lx, '\'', &len);
	struct token *t;

	if (!text)
		return false;
	unescape_delim(text, '\'');
	t = push_tok(lx, T_LITERAL, start, lx->pos);
	if (!t || !(t->lit = json_object_new_string(text))) {
		free(text);
		return false;
	}
	free(text);
	return true;
}

static bool lex_quoted(struct lexer *lx)
{
	size_t start = lx->pos, len;
	char *text = consume_until(lx, '"', &len), *quoted;
	json_object *v = NULL;
	struct token *t;

	if (!text)
		return false;
	quoted = malloc(len + 3);
	if (quoted)
		sprintf(quoted, "\"%s\"", text);
	free(text);
	if (!quoted || !parse_json(quoted, &v) || !json_object_is_type(v, json_type_string)) {
		json_object_put(v);
		free(quoted);
		lexer_error(lx->err, lx->s, start, "Invalid quoted identifier");
		return false;
	}
	free(quoted);
	t = push_tok(lx, T_QUOTED, start, lx->pos);
	if (!t || !(t->str = strdup(json_object_get_string(v)))) {
		json_object_put(v);
		return false;
	}
	json_object_put(v);
	return true;
}

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* One or two characters: the two-character token if the second is `second`. */
static bool lex_pair(struct lexer *lx, char second, enum tok two, enum tok one)
{
	size_t start = lx->pos++;

	if (lx->pos < lx->len && lx->s[lx->pos] == second) {
		lx->pos++;
		return push_tok(lx, two, start, lx->pos) != NULL;
	}
	return push_tok(lx, one, start, lx->pos) != NULL;
}

static bool lex(struct lexer *lx)
{
	static const char simple[] = ".*],:@(){}";
	static const enum tok simple_tok[] = { T_DOT, T_STAR, T_RBRACKET, T_COMMA, T_COLON,
					       T_CURRENT, T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE };

	while (lx->pos < lx->len) {
		char c = lx->s[lx->pos];
		size_t start = lx->pos;
		const char *p = c ? strchr(simple, c) : NULL;
		bool ok = true;

		if (p) {
			lx->pos++;
			ok = push_tok(lx, simple_tok[p - simple], start, lx->pos) != NULL;
		} else if (is_ident_start(c)) {
			struct token *t;

			while (lx->pos < lx->len && (is_ident_start(lx->s[lx->pos]) ||
						     is_digit(lx->s[lx->pos])))
				lx->pos++;
			t = push_tok(lx, T_UNQUOTED, start, lx->pos);
			ok = t && (t->str = strndup(lx->s + start, lx->pos - start)) != NULL;
		} else if (strchr(" \t\n\r", c)) {
			lx->pos++;
		} else if (c == '[') {
			lx->pos++;
			if (lx->pos < lx->len && lx->s[lx->pos] == ']') {
				lx->pos++;
				ok = push_tok(lx, T_FLATTEN, start, lx->pos) != NULL;
			} else if (lx->pos < lx->len && lx->s[lx->pos] == '?') {
				lx->pos++;
				ok = push_tok(lx, T_FILTER, start, lx->pos) != NULL;
			} else {
				ok = push_tok(lx, T_LBRACKET, start, lx->pos) != NULL;
			}
		} else if (c == '\'') {
			ok = lex_raw_string(lx);
		} else if (c == '|') {
			ok = lex_pair(lx, '|', T_OR, T_PIPE);
		} else if (c == '&') {
			ok = lex_pair(lx, '&', T_AND, T_EXPREF);
		} else if (c == '`') {
			ok = lex_literal(lx);
		} else if (is_digit(c) || c == '-') {
			struct token *t;

			lx->pos++;
			while (lx->pos < lx->len && is_digit(lx->s[lx->pos]))
				lx->pos++;
			if (lx->pos - start == 1 && c == '-') {
				lexer_error(lx->err, lx->s, start, "Unknown token '-'");
				return false;
			}
			t = push_tok(lx, T_NUMBER, start, lx->pos);
			if (t)
				t->num = strtoll(lx->s + start, NULL, 10);
			ok = t != NULL;
		} else if (c == '"') {
			ok = lex_quoted(lx);
		} else if (c == '<') {
			ok = lex_pair(lx, '=', T_LTE, T_LT);
		} else if (c == '>') {
			ok = lex_pair(lx, '=', T_GTE, T_GT);
		} else if (c == '!') {
			ok = lex_pair(lx, '=', T_NE, T_NOT);
		} else if (c == '=') {
			if (lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == '=') {
				lx->pos += 2;
				ok = push_tok(lx, T_EQ, start, lx->pos) != NULL;
			} else {
				lexer_error(lx->err, lx->s, start, "Unknown token '='");
				return false;
			}
		} else {
			char what[32];
			int n = 1;

			/* The whole UTF-8 character, as Python names it. */
			while (n < 4 && ((unsigned char)lx->s[start + (size_t)n] & 0xC0) == 0x80)
				n++;
			snprintf(what, sizeof(what), "Unknown token %.*s", n, lx->s + start);
			lexer_error(lx->err, lx->s, start, what);
			return false;
		}
		if (!ok) {
			/* A lexing function that failed has filled err; an allocation did not. */
			if (lx->err && !lx->err->message[0])
				set_err(lx->err, JMESPATH_ERR_NOMEM, "out of memory");
			return false;
		}
	}
	return push_tok(lx, T_EOF, lx->len, lx->len) != NULL;
}

/* ---- functions: the table the parser checks names and arity against ---- */

#define A_NUM 0x1
#define A_STR 0x2
#define A_BOOL 0x4
#define A_ARR 0x8
#define A_OBJ 0x10
#define A_NULL 0x20
#define A_ANY 0x3f
#define A_EXPREF 0x40
#define A_ARR_NUM 0x80
#define A_ARR_STR 0x100

enum fn {
	F_ABS, F_AVG, F_CEIL, F_CONTAINS, F_ENDS_WITH, F_FLOOR, F_JOIN, F_KEYS, F_LENGTH, F_MAP,
	F_MAX, F_MAX_BY, F_MERGE, F_MIN, F_MIN_BY, F_NOT_NULL, F_REVERSE, F_SORT, F_SORT_BY,
	F_STARTS_WITH, F_SUM, F_TO_ARRAY, F_TO_NUMBER, F_TO_STRING, F_TYPE, F_VALUES,
};

static const struct function {
	const char *name;
	int nargs;       /* the number of arguments, or the least for a variadic one */
	bool variadic;   /* the last type repeats */
	unsigned types[2];
	const char *expect[2]; /* the types as Python's signature lists them, for messages */
} functions[] = {
	[F_ABS] = { "abs", 1, false, { A_NUM }, { "['number']" } },
	[F_AVG] = { "avg", 1, false, { A_ARR_NUM }, { "['array-number']" } },
	[F_CEIL] = { "ceil", 1, false, { A_NUM }, { "['number']" } },
	[F_CONTAINS] = { "contains", 2, false, { A_ARR | A_STR, A_ANY },
			 { "['array', 'string']", "[]" } },
	[F_ENDS_WITH] = { "ends_with", 2, false, { A_STR, A_STR }, { "['string']", "['string']" } },
	[F_FLOOR] = { "floor", 1, false, { A_NUM }, { "['number']" } },
	[F_JOIN] = { "join", 2, false, { A_STR, A_ARR_STR }, { "['string']", "['array-string']" } },
	[F_KEYS] = { "keys", 1, false, { A_OBJ }, { "['object']" } },
	[F_LENGTH] = { "length", 1, false, { A_STR | A_ARR | A_OBJ },
		       { "['string', 'array', 'object']" } },
	[F_MAP] = { "map", 2, false, { A_EXPREF, A_ARR }, { "['expref']", "['array']" } },
	[F_MAX] = { "max", 1, false, { A_ARR_NUM | A_ARR_STR }, { "['array-number', 'array-string']" } },
	[F_MAX_BY] = { "max_by", 2, false, { A_ARR, A_EXPREF }, { "['array']", "['expref']" } },
	[F_MERGE] = { "merge", 1, true, { A_OBJ }, { "['object']" } },
	[F_MIN] = { "min", 1, false, { A_ARR_NUM | A_ARR_STR }, { "['array-number', 'array-string']" } },
	[F_MIN_BY] = { "min_by", 2, false, { A_ARR, A_EXPREF }, { "['array']", "['expref']" } },
	[F_NOT_NULL] = { "not_null", 1, true, { A_ANY }, { "[]" } },
	[F_REVERSE] = { "reverse", 1, false, { A_STR | A_ARR }, { "['array', 'string']" } },
	[F_SORT] = { "sort", 1, false, { A_ARR_NUM | A_ARR_STR }, { "['array-string', 'array-number']" } },
	[F_SORT_BY] = { "sort_by", 2, false, { A_ARR, A_EXPREF }, { "['array']", "['expref']" } },
	[F_STARTS_WITH] = { "starts_with", 2, false, { A_STR, A_STR }, { "['string']", "['string']" } },
	[F_SUM] = { "sum", 1, false, { A_ARR_NUM }, { "['array-number']" } },
	[F_TO_ARRAY] = { "to_array", 1, false, { A_ANY }, { "[]" } },
	[F_TO_NUMBER] = { "to_number", 1, false, { A_ANY }, { "[]" } },
	[F_TO_STRING] = { "to_string", 1, false, { A_ANY }, { "[]" } },
	[F_TYPE] = { "type", 1, false, { A_ANY }, { "[]" } },
	[F_VALUES] = { "values", 1, false, { A_OBJ }, { "['object']" } },
};

#define NFUNCTIONS (sizeof(functions) / sizeof(functions[0]))

/* ---- parser ---- */

struct parser {
	const char *expr;
	struct token *toks;
	size_t i;
	int depth;
	struct jmespath_error *err;
	/* The first unknown function or wrong number of arguments, in the order Python jmespath
	 * would meet them (arguments before their call): reported once the whole expression has
	 * parsed, so that a syntax error anywhere wins, as it does in Python. */
	struct jmespath_error fn_err;
	bool fn_failed;
};

static void node_free(struct node *n)
{
	size_t i;

	if (!n)
		return;
	free(n->name);
	json_object_put(n->lit);
	node_free(n->l);
	node_free(n->r);
	node_free(n->cond);
	for (i = 0; i < n->nkids; i++) {
		node_free(n->kids[i]);
		if (n->keys)
			free(n->keys[i]);
	}
	free(n->kids);
	free(n->keys);
	free(n);
}

static struct node *node_new(struct parser *p, enum ntype type)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n) {
		set_err(p->err, JMESPATH_ERR_NOMEM, "out of memory");
		return NULL;
	}
	n->type = type;
	n->height = 1;
	return n;
}

/* Sets the node's height from its children's; NULL (freeing the node) past the limit. */
static struct node *node_done(struct parser *p, struct node *n)
{
	int h = 0;
	size_t i;

	if (!n)
		return NULL;
	if (n->l && n->l->height > h)
		h = n->l->height;
	if (n->r && n->r->height > h)
		h = n->r->height;
	if (n->cond && n->cond->height > h)
		h = n->cond->height;
	for (i = 0; i < n->nkids; i++)
		if (n->kids[i]->height > h)
			h = n->kids[i]->height;
	n->height = h + 1;
	if (n->height > JMESPATH_MAX_DEPTH) {
		node_free(n);
		set_err(p->err, JMESPATH_ERR_SYNTAX, "Expression nested too deeply (more than %d levels)",
			JMESPATH_MAX_DEPTH);
		return NULL;
	}
	return n;
}

/* A node with two children, which it owns even when it cannot be made. */
static struct node *binary(struct parser *p, enum ntype type, struct node *l, struct node *r)
{
	struct node *n;

	if (!l || !r) {
		node_free(l);
		node_free(r);
		return NULL;
	}
	n = node_new(p, type);
	if (!n) {
		node_free(l);
		node_free(r);
		return NULL;
	}
	n->l = l;
	n->r = r;
	return node_done(p, n);
}

static enum tok cur(const struct parser *p)
{
	return p->toks[p->i].type;
}

static enum tok peek(const struct parser *p, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++)
		if (p->toks[p->i + j].type == T_EOF)
			return T_EOF;
	return p->toks[p->i + k].type;
}

static void error_at(struct parser *p, const struct token *t, const char *reason)
{
	if (t->type == T_EOF)
		incomplete_error(p->err, p->expr);
	else
		parse_error(p->err, p->expr, t, reason);
}

static bool match(struct parser *p, enum tok type)
{
	char reason[128];

	if (cur(p) == type) {
		p->i++;
		return true;
	}
	snprintf(reason, sizeof(reason), "Expecting: %s, got: %s", tok_info[type].name,
		 tok_info[cur(p)].name);
	error_at(p, &p->toks[p->i], reason);
	return false;
}

static struct node *expression(struct parser *p, int bp);

static struct node *identity(struct parser *p)
{
	return node_new(p, N_CURRENT);
}

static struct node *dot_rhs(struct parser *p, int bp);
static struct node *multi_select_list(struct parser *p);
static struct node *multi_select_hash(struct parser *p);

static struct node *projection_rhs(struct parser *p, int bp)
{
	if (tok_info[cur(p)].bp < PROJECTION_STOP)
		return identity(p);
	if (cur(p) == T_LBRACKET || cur(p) == T_FILTER)
		return expression(p, bp);
	if (cur(p) == T_DOT) {
		p->i++;
		return dot_rhs(p, bp);
	}
	error_at(p, &p->toks[p->i], "syntax error");
	return NULL;
}

static struct node *dot_rhs(struct parser *p, int bp)
{
	enum tok t = cur(p);

	if (t == T_QUOTED || t == T_UNQUOTED || t == T_STAR)
		return expression(p, bp);
	if (t == T_LBRACKET) {
		p->i++;
		return multi_select_list(p);
	}
	if (t == T_LBRACE) {
		p->i++;
		return multi_select_hash(p);
	}
	{
		char reason[160];

		snprintf(reason, sizeof(reason), "Expecting: ['quoted_identifier', "
			 "'unquoted_identifier', 'lbracket', 'lbrace'], got: %s", tok_info[t].name);
		error_at(p, &p->toks[p->i], reason);
	}
	return NULL;
}

/* Collects expressions up to the closing token, separated by commas. */
static bool list_of(struct parser *p, struct node *n, enum tok close, bool allow_empty)
{
	if (allow_empty && cur(p) == close) {
		p->i++;
		return true;
	}
	for (;;) {
		struct node *e, **kids;

		kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids));
		if (!kids) {
			set_err(p->err, JMESPATH_ERR_NOMEM, "out of memory");
			return false;
		}
		n->kids = kids;
		e = expression(p, 0);
		if (!e)
			return false;
		n->kids[n->nkids++] = e;
		if (cur(p) == close) {
			p->i++;
			return true;
		}
		if (!match(p, T_COMMA))
			return false;
	}
}

static struct node *multi_select_list(struct parser *p)
{
	struct node *n = node_new(p, N_MULTI_LIST);

	if (!n)
		return NULL;
	if (!list_of(p, n, T_RBRACKET, false)) {
		node_free(n);
		return NULL;
	}
	return node_done(p, n);
}

static struct node *multi_select_hash(struct parser *p)
{
	struct node *n = node_new(p, N_MULTI_HASH);

	if (!n)
		return NULL;
	for (;;) {
		const struct token *key = &p->toks[p->i];
		struct node **kids;
		char **keys;
		struct node *v;

		if (key->type != T_QUOTED && key->type != T_UNQUOTED) {
			char reason[128];

			snprintf(reason, sizeof(reason), "Expecting: ['quoted_identifier', "
				 "'unquoted_identifier'], got: %s", tok_info[key->type].name);
			error_at(p, key, reason);
			goto fail;
		}
		p->i++;
		if (!match(p, T_COLON))
			goto fail;
		kids = realloc(n->kids, (n->nkids + 1) * sizeof(*kids));
		if (kids)
			n->kids = kids;
		keys = kids ? realloc(n->keys, (n->nkids + 1) * sizeof(*keys)) : NULL;
		if (keys)
			n->keys = keys;
		if (!kids || !keys || !(keys[n->nkids] = strdup(key->str))) {
			set_err(p->err, JMESPATH_ERR_NOMEM, "out of memory");
			goto fail;
		}
		v = expression(p, 0);
		if (!v) {
			free(n->keys[n->nkids]);
			goto fail;
		}
		n->kids[n->nkids++] = v;
		if (cur(p) == T_COMMA) {
			p->i++;
		} else if (cur(p) == T_RBRACE) {
			p->i++;
			break;
		} else {
			match(p, T_RBRACE);
			goto fail;
		}
	}
	return node_done(p, n);
fail:
	node_free(n);
	return NULL;
}

/* [number], or a slice [start:stop:step]; the '[' has been read. */
static struct node *index_expression(struct parser *p)
{
	struct node *n;
	int part = 0;

	if (peek(p, 0) != T_COLON && peek(p, 1) != T_COLON) {
		n = node_new(p, N_INDEX);
		if (!n)
			return NULL;
		n->num[0] = p->toks[p->i].num;
		p->i++;
		if (!match(p, T_RBRACKET)) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	n = node_new(p, N_SLICE);
	if (!n)
		return NULL;
	while (cur(p) != T_RBRACKET && part < 3) {
		if (cur(p) == T_COLON) {
			if (++part == 3) {
				error_at(p, &p->toks[p->i], "syntax error");
				goto fail;
			}
			p->i++;
		} else if (cur(p) == T_NUMBER) {
			n->num[part] = p->toks[p->i].num;
			n->has[part] = true;
			p->i++;
		} else {
			error_at(p, &p->toks[p->i], "syntax error");
			goto fail;
		}
	}
	if (!match(p, T_RBRACKET))
		goto fail;
	return n;
fail:
	node_free(n);
	return NULL;
}

/* left[index] as it is, left[slice] as a projection over the slice. */
static struct node *project_if_slice(struct parser *p, struct node *left, struct node *right)
{
	bool slice = right && right->type == N_SLICE;
	struct node *ie = binary(p, N_INDEX_EXPR, left, right);

	if (!ie || !slice)
		return ie;
	return binary(p, N_PROJECTION, ie, projection_rhs(p, tok_info[T_STAR].bp));
}

static struct node *function_call(struct parser *p, struct node *left)
{
	const struct token *name_tok = &p->toks[p->i - 2];
	struct node *n;
	size_t f;
	char reason[300];

	if (left->type != N_FIELD) {
		snprintf(reason, sizeof(reason), "Invalid function name '%.*s'",
			 (int)(name_tok->end - name_tok->start), p->expr + name_tok->start);
		parse_error(p->err, p->expr, name_tok, reason);
		node_free(left);
		return NULL;
	}
	for (f = 0; f < NFUNCTIONS; f++)
		if (strcmp(functions[f].name, left->name) == 0)
			break;
	n = node_new(p, N_FUNCTION);
	if (!n) {
		node_free(left);
		return NULL;
	}
	n->op = f == NFUNCTIONS ? 0 : (int)f;
	if (!list_of(p, n, T_RPAREN, true)) {
		node_free(left);
		node_free(n);
		return NULL;
	}
	if (f == NFUNCTIONS) {
		if (!p->fn_failed)
			set_err(&p->fn_err, JMESPATH_ERR_UNKNOWN_FUNCTION, "Unknown function: %s()",
				left->name);
		p->fn_failed = true;
	} else if ((functions[f].variadic && n->nkids < (size_t)functions[f].nargs) ||
		   (!functions[f].variadic && n->nkids != (size_t)functions[f].nargs)) {
		int want = functions[f].nargs;

		if (!p->fn_failed)
			set_err(&p->fn_err, JMESPATH_ERR_INVALID_ARITY,
				"Expected %s%d argument%s for function %s(), received %zu",
				functions[f].variadic ? "at least " : "", want, want == 1 ? "" : "s",
				functions[f].name, n->nkids);
		p->fn_failed = true;
	}
	node_free(left);
	return node_done(p, n);
}

static struct node *nud(struct parser *p, const struct token *t)
{
	struct node *n;

	switch (t->type) {
	case T_LITERAL:
		n = node_new(p, N_LITERAL);
		if (n)
			n->lit = json_object_get(t->lit);
		return n;
	case T_UNQUOTED:
	case T_QUOTED:
		if (t->type == T_QUOTED && cur(p) == T_LPAREN) {
			struct token at = p->toks[p->i];

			at.start = 0; /* Python reports this one at column 0 */
			parse_error(p->err, p->expr, &at,
				    "Quoted identifier not allowed for function names.");
			return NULL;
		}
		n = node_new(p, N_FIELD);
		if (n && !(n->name = strdup(t->str))) {
			node_free(n);
			set_err(p->err, JMESPATH_ERR_NOMEM, "out of memory");
			return NULL;
		}
		return n;
	case T_STAR:
		return binary(p, N_VALUE_PROJECTION, identity(p),
			      cur(p) == T_RBRACKET ? identity(p)
						   : projection_rhs(p, tok_info[T_STAR].bp));
	case T_FILTER: {
		struct node *cond = expression(p, 0), *f, *right;

		if (!cond)
			return NULL;
		if (!match(p, T_RBRACKET)) {
			node_free(cond);
			return NULL;
		}
		right = cur(p) == T_FLATTEN ? identity(p)
					    : projection_rhs(p, tok_info[T_FILTER].bp);
		f = binary(p, N_FILTER_PROJECTION, identity(p), right);
		if (!f) {
			node_free(cond);
			return NULL;
		}
		f->cond = cond;
		return node_done(p, f);
	}
	case T_LBRACE:
		return multi_select_hash(p);
	case T_LPAREN:
		n = expression(p, 0);
		if (n && !match(p, T_RPAREN)) {
			node_free(n);
			return NULL;
		}
		return n;
	case T_FLATTEN: {
		struct node *fl = node_new(p, N_FLATTEN);

		if (fl)
			fl->l = identity(p);
		if (fl && !fl->l) {
			node_free(fl);
			return NULL;
		}
		return binary(p, N_PROJECTION, node_done(p, fl),
			      projection_rhs(p, tok_info[T_FLATTEN].bp));
	}
	case T_NOT:
		n = node_new(p, N_NOT);
		if (n && !(n->l = expression(p, tok_info[T_NOT].bp))) {
			node_free(n);
			return NULL;
		}
		return node_done(p, n);
	case T_LBRACKET:
		if (cur(p) == T_NUMBER || cur(p) == T_COLON)
			return project_if_slice(p, identity(p), index_expression(p));
		if (cur(p) == T_STAR && peek(p, 1) == T_RBRACKET) {
			p->i += 2;
			return binary(p, N_PROJECTION, identity(p),
				      projection_rhs(p, tok_info[T_STAR].bp));
		}
		return multi_select_list(p);
	case T_CURRENT:
		return identity(p);
	case T_EXPREF:
		n = node_new(p, N_EXPREF);
		if (n && !(n->l = expression(p, 0))) {
			node_free(n);
			return NULL;
		}
		return node_done(p, n);
	case T_EOF:
		incomplete_error(p->err, p->expr);
		return NULL;
	default:
		parse_error(p->err, p->expr, t, "invalid token");
		return NULL;
	}
}

static struct node *led(struct parser *p, enum tok type, struct node *left)
{
	switch (type) {
	case T_DOT:
		if (cur(p) != T_STAR)
			return binary(p, N_SUBEXPR, left, dot_rhs(p, tok_info[T_DOT].bp));
		p->i++;
		return binary(p, N_VALUE_PROJECTION, left, projection_rhs(p, tok_info[T_DOT].bp));
	case T_PIPE:
		return binary(p, N_PIPE, left, expression(p, tok_info[T_PIPE].bp));
	case T_OR:
		return binary(p, N_OR, left, expression(p, tok_info[T_OR].bp));
	case T_AND:
		return binary(p, N_AND, left, expression(p, tok_info[T_AND].bp));
	case T_LPAREN:
		return function_call(p, left);
	case T_FILTER: {
		struct node *cond = expression(p, 0), *f, *right;

		if (!cond || !match(p, T_RBRACKET)) {
			node_free(cond);
			node_free(left);
			return NULL;
		}
		right = cur(p) == T_FLATTEN ? identity(p)
					    : projection_rhs(p, tok_info[T_FILTER].bp);
		f = binary(p, N_FILTER_PROJECTION, left, right);
		if (!f) {
			node_free(cond);
			return NULL;
		}
		f->cond = cond;
		return node_done(p, f);
	}
	case T_EQ: case T_NE: case T_GT: case T_GTE: case T_LT: case T_LTE: {
		struct node *c = binary(p, N_COMPARATOR, left, expression(p, tok_info[type].bp));

		if (c)
			c->op = type;
		return c;
	}
	case T_FLATTEN: {
		struct node *fl = node_new(p, N_FLATTEN);

		if (!fl) {
			node_free(left);
			return NULL;
		}
		fl->l = left;
		return binary(p, N_PROJECTION, node_done(p, fl),
			      projection_rhs(p, tok_info[T_FLATTEN].bp));
	}
	case T_LBRACKET:
		if (cur(p) == T_NUMBER || cur(p) == T_COLON)
			return project_if_slice(p, left, index_expression(p));
		if (!match(p, T_STAR) || !match(p, T_RBRACKET)) {
			node_free(left);
			return NULL;
		}
		return binary(p, N_PROJECTION, left, projection_rhs(p, tok_info[T_STAR].bp));
	default:
		parse_error(p->err, p->expr, &p->toks[p->i - 1], "invalid token");
		node_free(left);
		return NULL;
	}
}

static struct node *expression(struct parser *p, int bp)
{
	const struct token *t;
	struct node *left;

	if (++p->depth > JMESPATH_MAX_DEPTH) {
		set_err(p->err, JMESPATH_ERR_SYNTAX, "Expression nested too deeply (more than %d levels)",
			JMESPATH_MAX_DEPTH);
		p->depth--;
		return NULL;
	}
	t = &p->toks[p->i];
	if (t->type != T_EOF)
		p->i++;
	left = nud(p, t);
	while (left && bp < tok_info[cur(p)].bp) {
		enum tok type = cur(p);

		p->i++;
		left = led(p, type, left);
	}
	p->depth--;
	return left;
}

struct jmespath *jmespath_compile(const char *expr, struct jmespath_error *err)
{
	struct lexer lx = { .s = expr, .len = strlen(expr), .err = err };
	struct parser p = { .expr = expr, .err = err };
	struct jmespath *jp;
	struct node *root;

	if (err)
		err->message[0] = '\0';
	if (!expr[0]) {
		set_err(err, JMESPATH_ERR_SYNTAX, "Invalid JMESPath expression: cannot be empty.");
		return NULL;
	}
	if (!lex(&lx)) {
		free_tokens(lx.toks, lx.ntoks);
		return NULL;
	}
	p.toks = lx.toks;
	root = expression(&p, 0);
	if (root && cur(&p) != T_EOF) {
		char reason[300], value[256];
		const struct token *t = &p.toks[p.i];

		token_value(expr, t, value, sizeof(value));
		snprintf(reason, sizeof(reason), "Unexpected token: %s", value);
		parse_error(err, expr, t, reason);
		node_free(root);
		root = NULL;
	}
	free_tokens(lx.toks, lx.ntoks);
	if (root && p.fn_failed) {
		if (err)
			*err = p.fn_err;
		node_free(root);
		root = NULL;
	}
	if (!root)
		return NULL;
	jp = malloc(sizeof(*jp));
	if (!jp) {
		node_free(root);
		set_err(err, JMESPATH_ERR_NOMEM, "out of memory");
		return NULL;
	}
	jp->root = root;
	return jp;
}

void jmespath_free(struct jmespath *jp)
{
	if (!jp)
		return;
	node_free(jp->root);
	free(jp);
}

/* ---- evaluation ---- */

static bool is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static bool truthy(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_string:
		return json_object_get_string_len(v) > 0;
	case json_type_array:
		return json_object_array_length(v) > 0;
	case json_type_object:
		return json_object_object_length(v) > 0;
	default:
		return true;
	}
}

static int num_cmp(json_object *a, json_object *b)
{
	if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int)) {
		int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);

		return x < y ? -1 : x > y;
	}
	{
		double x = json_object_get_double(a), y = json_object_get_double(b);

		return x < y ? -1 : x > y;
	}
}

/* Ordering for min/max/sort and the comparators: numbers by value, strings by code point (the bytes
 * of UTF-8). */
static int value_cmp(json_object *a, json_object *b)
{
	if (is_number(a))
		return num_cmp(a, b);
	return strcmp(json_object_get_string(a), json_object_get_string(b));
}

static bool json_equal(json_object *a, json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if (is_number(a) && is_number(b))
		return num_cmp(a, b) == 0;
	if (ta != tb)
		return false;
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       memcmp(json_object_get_string(a), json_object_get_string(b),
			      (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array: {
		size_t i, n = json_object_array_length(a);

		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!json_equal(json_object_array_get_idx(a, i),
					json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, k, va) {
			json_object *vb;

			if (!json_object_object_get_ex(b, k, &vb) || !json_equal(va, vb))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

static const char *type_name(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "boolean";
	case json_type_int:
	case json_type_double: return "number";
	case json_type_string: return "string";
	case json_type_array: return "array";
	case json_type_object: return "object";
	}
	return "null";
}

struct eval {
	struct jmespath_error *err;
	bool failed;
};

static json_object *eval(struct eval *ev, const struct node *n, json_object *v);

static json_object *new_array_or_fail(struct eval *ev)
{
	json_object *a = json_object_new_array();

	if (!a) {
		set_err(ev->err, JMESPATH_ERR_NOMEM, "out of memory");
		ev->failed = true;
	}
	return a;
}

/* Applies right to each element, keeping the results that are not null. */
static json_object *project(struct eval *ev, const struct node *right, json_object *base,
			    const struct node *cond)
{
	json_object *out = new_array_or_fail(ev);
	size_t i, n = json_object_array_length(base);

	for (i = 0; out && i < n; i++) {
		json_object *e = json_object_array_get_idx(base, i), *r;

		if (cond) {
			json_object *c = eval(ev, cond, e);
			bool keep = truthy(c);

			json_object_put(c);
			if (ev->failed)
				break;
			if (!keep)
				continue;
		}
		r = eval(ev, right, e);
		if (r)
			json_object_array_add(out, r);
		if (ev->failed)
			break;
	}
	return out;
}

static json_object *slice(struct eval *ev, const struct node *n, json_object *v)
{
	long long len, start, stop, step = n->has[2] ? n->num[2] : 1, i;
	json_object *out;

	if (!json_object_is_type(v, json_type_array))
		return NULL;
	if (step == 0) {
		set_err(ev->err, JMESPATH_ERR_INVALID_VALUE, "slice step cannot be zero");
		ev->failed = true;
		return NULL;
	}
	len = (long long)json_object_array_length(v);
	if (!n->has[0]) {
		start = step < 0 ? len - 1 : 0;
	} else {
		start = n->num[0];
		if (start < 0) {
			start += len;
			if (start < 0)
				start = step < 0 ? -1 : 0;
		} else if (start >= len) {
			start = step < 0 ? len - 1 : len;
		}
	}
	if (!n->has[1]) {
		stop = step < 0 ? -1 : len;
	} else {
		stop = n->num[1];
		if (stop < 0) {
			stop += len;
			if (stop < 0)
				stop = step < 0 ? -1 : 0;
		} else if (stop >= len) {
			stop = step < 0 ? len - 1 : len;
		}
	}
	out = new_array_or_fail(ev);
	for (i = start; out && (step > 0 ? i < stop : i > stop); i += step)
		json_object_array_add(out, json_object_get(json_object_array_get_idx(v, (size_t)i)));
	return out;
}

static json_object *call(struct eval *ev, const struct node *n, json_object *v);

static json_object *eval(struct eval *ev, const struct node *n, json_object *v)
{
	json_object *base, *r;

	switch (n->type) {
	case N_FIELD:
		if (json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, n->name, &r))
			return json_object_get(r);
		return NULL;
	case N_CURRENT:
		return json_object_get(v);
	case N_LITERAL:
		return json_object_get(n->lit);
	case N_SUBEXPR:
	case N_INDEX_EXPR:
	case N_PIPE:
		base = eval(ev, n->l, v);
		r = ev->failed ? NULL : eval(ev, n->r, base);
		json_object_put(base);
		return r;
	case N_INDEX: {
		long long i = n->num[0], len;

		if (!json_object_is_type(v, json_type_array))
			return NULL;
		len = (long long)json_object_array_length(v);
		if (i < 0)
			i += len;
		if (i < 0 || i >= len)
			return NULL;
		return json_object_get(json_object_array_get_idx(v, (size_t)i));
	}
	case N_SLICE:
		return slice(ev, n, v);
	case N_PROJECTION:
	case N_FILTER_PROJECTION:
		base = eval(ev, n->l, v);
		r = NULL;
		if (!ev->failed && json_object_is_type(base, json_type_array))
			r = project(ev, n->r, base, n->cond);
		json_object_put(base);
		return r;
	case N_VALUE_PROJECTION:
		base = eval(ev, n->l, v);
		r = NULL;
		if (!ev->failed && json_object_is_type(base, json_type_object)) {
			json_object *vals = new_array_or_fail(ev);

			if (vals) {
				json_object_object_foreach(base, k, val) {
					(void)k;
					json_object_array_add(vals, json_object_get(val));
				}
				r = project(ev, n->r, vals, NULL);
				json_object_put(vals);
			}
		}
		json_object_put(base);
		return r;
	case N_FLATTEN:
		base = eval(ev, n->l, v);
		r = NULL;
		if (!ev->failed && json_object_is_type(base, json_type_array)) {
			size_t i, j, len = json_object_array_length(base);

			r = new_array_or_fail(ev);
			for (i = 0; r && i < len; i++) {
				json_object *e = json_object_array_get_idx(base, i);

				if (json_object_is_type(e, json_type_array)) {
					for (j = 0; j < json_object_array_length(e); j++)
						json_object_array_add(r, json_object_get(
							json_object_array_get_idx(e, j)));
				} else {
					json_object_array_add(r, json_object_get(e));
				}
			}
		}
		json_object_put(base);
		return r;
	case N_COMPARATOR: {
		json_object *a = eval(ev, n->l, v), *b = ev->failed ? NULL : eval(ev, n->r, v);
		int res = -1;

		if (!ev->failed) {
			if (n->op == T_EQ)
				res = json_equal(a, b);
			else if (n->op == T_NE)
				res = !json_equal(a, b);
			else if ((is_number(a) && is_number(b)) ||
				 (json_object_is_type(a, json_type_string) &&
				  json_object_is_type(b, json_type_string))) {
				/* Strings too, by code point, as Python jmespath (the aws CLI) orders
				 * them; the specification orders only numbers. */
				int c = value_cmp(a, b);

				res = n->op == T_LT ? c < 0 : n->op == T_LTE ? c <= 0
				    : n->op == T_GT ? c > 0 : c >= 0;
			}
		}
		json_object_put(a);
		json_object_put(b);
		return res < 0 ? NULL : json_object_new_boolean(res);
	}
	case N_OR:
		base = eval(ev, n->l, v);
		if (ev->failed || truthy(base))
			return base;
		json_object_put(base);
		return eval(ev, n->r, v);
	case N_AND:
		base = eval(ev, n->l, v);
		if (ev->failed || !truthy(base))
			return base;
		json_object_put(base);
		return eval(ev, n->r, v);
	case N_NOT:
		base = eval(ev, n->l, v);
		r = ev->failed ? NULL : json_object_new_boolean(!truthy(base));
		json_object_put(base);
		return r;
	case N_MULTI_LIST: {
		size_t i;

		if (!v)
			return NULL;
		r = new_array_or_fail(ev);
		for (i = 0; r && !ev->failed && i < n->nkids; i++) {
			json_object *e = eval(ev, n->kids[i], v);

			json_object_array_add(r, e);
		}
		return r;
	}
	case N_MULTI_HASH: {
		size_t i;

		if (!v)
			return NULL;
		r = json_object_new_object();
		for (i = 0; r && !ev->failed && i < n->nkids; i++)
			json_object_object_add(r, n->keys[i], eval(ev, n->kids[i], v));
		return r;
	}
	case N_FUNCTION:
		return call(ev, n, v);
	case N_EXPREF:
		/* Outside a function's arguments an expression reference has no value. */
		return NULL;
	}
	return NULL;
}

/* ---- the built-in functions ---- */

static bool arg_matches(json_object *a, unsigned types)
{
	return ((types & A_NUM) && is_number(a)) ||
	       ((types & A_STR) && json_object_is_type(a, json_type_string)) ||
	       ((types & A_BOOL) && json_object_is_type(a, json_type_boolean)) ||
	       ((types & A_ARR) && json_object_is_type(a, json_type_array)) ||
	       ((types & A_OBJ) && json_object_is_type(a, json_type_object)) ||
	       ((types & A_NULL) && !a);
}

/* Python's name of a value's type, which its jmespath prints for a wrong element of an array. */
static const char *py_type(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean: return "bool";
	case json_type_int: return "int";
	case json_type_double: return "float";
	case json_type_string: return "str";
	case json_type_array: return "list";
	case json_type_object: return "dict";
	default: return "NoneType";
	}
}

struct text {
	char *buf;
	size_t size, len;
};

static void put(struct text *t, const char *s, size_t n)
{
	size_t room = t->len + 1 < t->size ? t->size - t->len - 1 : 0;

	if (n > room)
		n = room;
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void puts_text(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/* Python's repr() of the value json-c holds (str() at the top: a string bare). */
static void py_repr(struct text *t, json_object *v, int depth, bool top)
{
	size_t i;

	if (depth > 16) {
		puts_text(t, "...");
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_null:
		puts_text(t, "None");
		return;
	case json_type_boolean:
		puts_text(t, json_object_get_boolean(v) ? "True" : "False");
		return;
	case json_type_int:
	case json_type_double:
		puts_text(t, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return;
	case json_type_string: {
		const char *s = json_object_get_string(v);
		char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';

		if (top) {
			puts_text(t, s);
			return;
		}
		put(t, &q, 1);
		for (; *s; s++) {
			char esc[8];

			if (*s == q || *s == '\\') {
				esc[0] = '\\';
				esc[1] = *s;
				put(t, esc, 2);
			} else if (*s == '\n' || *s == '\r' || *s == '\t') {
				puts_text(t, *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : "\\t");
			} else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*s);
				puts_text(t, esc);
			} else {
				put(t, s, 1);
			}
		}
		put(t, &q, 1);
		return;
	}
	case json_type_array:
		puts_text(t, "[");
		for (i = 0; i < json_object_array_length(v); i++) {
			if (i)
				puts_text(t, ", ");
			py_repr(t, json_object_array_get_idx(v, i), depth + 1, false);
		}
		puts_text(t, "]");
		return;
	case json_type_object: {
		bool first = true;
		json_object *key;

		puts_text(t, "{");
		json_object_object_foreach(v, k, val) {
			if (!first)
				puts_text(t, ", ");
			first = false;
			key = json_object_new_string(k);
			py_repr(t, key, depth + 1, false);
			json_object_put(key);
			puts_text(t, ": ");
			py_repr(t, val, depth + 1, false);
		}
		puts_text(t, "}");
		return;
	}
	}
}

static void py_str(json_object *v, char *out, size_t size)
{
	struct text t = { .buf = out, .size = size, .len = 0 };

	if (size)
		out[0] = '\0';
	py_repr(&t, v, 0, true);
}

/* Python jmespath's JMESPathTypeError: the value (str() of it), the types the function takes,
 * and the name of the type it got. */
static void type_error(struct eval *ev, const char *fn, json_object *value, const char *actual,
		       const char *expected)
{
	char shown[1024];
	struct text t = { shown, sizeof(shown), 0 };

	shown[0] = '\0';
	py_repr(&t, value, 0, true);
	set_err(ev->err, JMESPATH_ERR_INVALID_TYPE,
		"In function %s(), invalid type for value: %s, expected one of: %s, received: \"%s\"",
		fn, shown, expected, actual);
	ev->failed = true;
}

/* Python jmespath's check of argument i: its type, then, for a typed array, its elements
 * (all of the one type, for a function that takes numbers or strings, the first one's). */
static bool check_arg(struct eval *ev, const struct function *f, size_t i, json_object *a)
{
	unsigned want = f->types[i], sub = want & (A_ARR_NUM | A_ARR_STR);
	size_t k, n;
	json_object *first;
	bool num;

	if (!arg_matches(a, (want & ~sub) | (sub ? A_ARR : 0))) {
		type_error(ev, f->name, a, type_name(a), f->expect[i]);
		return false;
	}
	if (!sub || (n = json_object_array_length(a)) == 0)
		return true;
	first = json_object_array_get_idx(a, 0);
	if (sub == (A_ARR_NUM | A_ARR_STR) && !is_number(first) &&
	    !json_object_is_type(first, json_type_string)) {
		type_error(ev, f->name, first, py_type(first), f->expect[i]);
		return false;
	}
	num = sub == A_ARR_NUM || (sub != A_ARR_STR && is_number(first));
	for (k = 0; k < n; k++) {
		json_object *e = json_object_array_get_idx(a, k);

		if (num ? !is_number(e) : !json_object_is_type(e, json_type_string)) {
			type_error(ev, f->name, e, py_type(e), f->expect[i]);
			return false;
		}
	}
	return true;
}

/* A whole number as an integer, anything else as a double. */
static json_object *new_number(double d)
{
	if (d == floor(d) && fabs(d) < 9e15)
		return json_object_new_int64((int64_t)d);
	return json_object_new_double(d);
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

struct keyed {
	json_object *key, *value;
	size_t pos;
};

static int keyed_cmp(const void *x, const void *y)
{
	const struct keyed *a = x, *b = y;
	int c = value_cmp(a->key, b->key);

	/* The position breaks ties: qsort is not stable, the spec's sort is. */
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* The expression's value over each element, as a number or a string all of one type. NULL on
 * a type error (reported) or an allocation failure. */
static struct keyed *keyed_array(struct eval *ev, const char *fn, json_object *arr,
				 const struct node *expref)
{
	size_t i, n = json_object_array_length(arr);
	struct keyed *k = calloc(n ? n : 1, sizeof(*k));

	if (!k) {
		set_err(ev->err, JMESPATH_ERR_NOMEM, "out of memory");
		ev->failed = true;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		k[i].value = e;
		k[i].pos = i;
		k[i].key = eval(ev, expref->l, e);
		/* sort_by wants the first key a number or a string and the others of its type;
		 * min_by and max_by want each a number or a string (Python's words for each). */
		if (!ev->failed && !is_number(k[i].key) &&
		    !json_object_is_type(k[i].key, json_type_string))
			type_error(ev, fn, strcmp(fn, "sort_by") || i ? k[i].key : e,
				   type_name(k[i].key), strcmp(fn, "sort_by") ? "['number', 'string']"
					: i ? (is_number(k[0].key) ? "['number']" : "['string']")
					    : "['string', 'number']");
		else if (!ev->failed && i > 0 && is_number(k[i].key) != is_number(k[0].key))
			type_error(ev, fn, k[i].key, type_name(k[i].key),
				   is_number(k[0].key) ? "['number']" : "['string']");
		if (ev->failed) {
			for (; ; i--) {
				json_object_put(k[i].key);
				if (i == 0)
					break;
			}
			free(k);
			return NULL;
		}
	}
	return k;
}

static void keyed_free(struct keyed *k, size_t n)
{
	size_t i;

	for (i = 0; k && i < n; i++)
		json_object_put(k[i].key);
	free(k);
}

static json_object *sorted_copy(struct eval *ev, json_object *arr, const struct node *expref,
				const char *fn)
{
	size_t i, n = json_object_array_length(arr);
	struct keyed *k;
	json_object *out;

	if (expref) {
		k = keyed_array(ev, fn, arr, expref);
		if (!k)
			return NULL;
	} else {
		k = calloc(n ? n : 1, sizeof(*k));
		if (!k) {
			set_err(ev->err, JMESPATH_ERR_NOMEM, "out of memory");
			ev->failed = true;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			k[i].value = json_object_array_get_idx(arr, i);
			k[i].key = json_object_get(k[i].value);
			k[i].pos = i;
		}
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	out = new_array_or_fail(ev);
	for (i = 0; out && i < n; i++)
		json_object_array_add(out, json_object_get(k[i].value));
	keyed_free(k, n);
	return out;
}

static json_object *extreme(struct eval *ev, json_object *arr, const struct node *expref,
			    const char *fn, int sign)
{
	size_t i, best = 0, n = json_object_array_length(arr);
	struct keyed *k;
	json_object *r;

	if (n == 0)
		return NULL;
	if (!expref) {
		for (i = 1; i < n; i++)
			if (sign * value_cmp(json_object_array_get_idx(arr, i),
					     json_object_array_get_idx(arr, best)) > 0)
				best = i;
		return json_object_get(json_object_array_get_idx(arr, best));
	}
	k = keyed_array(ev, fn, arr, expref);
	if (!k)
		return NULL;
	for (i = 1; i < n; i++)
		if (sign * value_cmp(k[i].key, k[best].key) > 0)
			best = i;
	r = json_object_get(k[best].value);
	keyed_free(k, n);
	return r;
}

static json_object *to_number(json_object *a)
{
	const char *s, *p;
	char *end;

	if (is_number(a))
		return json_object_get(a);
	if (!json_object_is_type(a, json_type_string))
		return NULL;
	s = json_object_get_string(a);
	for (p = s; *p; p++)
		if (strchr(".eE", *p))
			break;
	errno = 0;
	if (!*p) {
		long long i = strtoll(s, &end, 10);

		while (*end && strchr(" \t\n\r", *end))
			end++;
		if (end != s && !*end && errno == 0)
			return json_object_new_int64(i);
		return NULL;
	}
	{
		double d = strtod(s, &end);

		while (*end && strchr(" \t\n\r", *end))
			end++;
		if (end != s && !*end && isfinite(d))
			return json_object_new_double(d);
	}
	return NULL;
}

/* A double as Python's repr (what json.dumps writes): the fewest digits that read back as the
 * same double, positional from 1e-4 up to 1e16 (with ".0" when integral), else d.ddde+XX. */
static void python_float_repr(double d, char *out, size_t size)
{
	static const char zeros[] = "0000000000000000";
	char sci[40], m[20], *e;
	const char *p;
	int prec, exp10;
	size_t n = 0;
	bool neg;

	if (!isfinite(d)) {
		snprintf(out, size, "%s", isnan(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(sci, sizeof(sci), "%.*e", prec - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	snprintf(sci, sizeof(sci), "%.*e", prec - 1, d);
	e = strchr(sci, 'e');
	exp10 = atoi(e + 1);
	*e = '\0';
	neg = sci[0] == '-';
	for (p = sci + neg; *p; p++)
		if (*p != '.')
			m[n++] = *p;
	while (n > 1 && m[n - 1] == '0')
		n--;
	m[n] = '\0';
	if (exp10 < -4 || exp10 >= 16)
		snprintf(out, size, "%s%c%s%se%c%02d", neg ? "-" : "", m[0], n > 1 ? "." : "", m + 1,
			 exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
	else if (exp10 < 0)
		snprintf(out, size, "%s0.%.*s%s", neg ? "-" : "", -exp10 - 1, zeros, m);
	else if ((size_t)exp10 + 1 >= n)
		snprintf(out, size, "%s%s%.*s.0", neg ? "-" : "", m, exp10 + 1 - (int)n, zeros);
	else
		snprintf(out, size, "%s%.*s.%s", neg ? "-" : "", exp10 + 1, m, m + exp10 + 1);
}

static int python_float_serialize(json_object *jso, struct printbuf *pb, int level, int flags)
{
	char buf[64];

	python_float_repr(json_object_get_double(jso), buf, sizeof(buf));
	return printbuf_memappend(pb, buf, (int)strlen(buf));
}

/* json_object_deep_copy's copy of one value: doubles print as Python prints them, not as the
 * document wrote them (1e2 is 100.0) nor as json-c would (17 digits). */
static int python_copy(json_object *src, json_object *parent, const char *key, size_t index,
		       json_object **dst)
{
	if (!json_object_is_type(src, json_type_double))
		return json_c_shallow_copy_default(src, parent, key, index, dst);
	*dst = json_object_new_double(json_object_get_double(src));
	if (!*dst)
		return -1;
	json_object_set_serializer(*dst, python_float_serialize, NULL, NULL);
	return 2;
}

/* to_string's JSON text, as Python's json.dumps(separators=(',', ':')) writes it: compact, and
 * every character beyond ASCII escaped as \uXXXX (a surrogate pair above U+FFFF). */
static json_object *ascii_json(json_object *a)
{
	json_object *copy = NULL, *r;
	const unsigned char *s;
	size_t len, i, w = 0;
	char *buf;

	if (a && json_object_deep_copy(a, &copy, python_copy) < 0)
		return NULL;
	s = (const unsigned char *)(copy ? json_object_to_json_string_ext(copy,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : "null");
	len = strlen((const char *)s);
	buf = malloc(len * 3 + 1); /* 6 bytes for 2 at most, 12 for 4 */
	if (!buf) {
		json_object_put(copy);
		return NULL;
	}
	for (i = 0; i < len;) {
		unsigned cp = s[i];
		int extra = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0, k;

		/* ASCII, and bytes that start no whole UTF-8 character, as they are. */
		if (cp < 0xC0 || i + (size_t)extra >= len) {
			buf[w++] = (char)s[i++];
			continue;
		}
		cp &= 0x3Fu >> extra;
		for (k = 1; k <= extra; k++)
			cp = (cp << 6) | (s[i + (size_t)k] & 0x3F);
		i += (size_t)extra + 1;
		if (cp > 0xFFFF) {
			cp -= 0x10000;
			w += (size_t)sprintf(buf + w, "\\u%04x\\u%04x", 0xD800 + (cp >> 10),
					     0xDC00 + (cp & 0x3FF));
		} else {
			w += (size_t)sprintf(buf + w, "\\u%04x", cp);
		}
	}
	json_object_put(copy);
	buf[w] = '\0';
	r = json_object_new_string(buf);
	free(buf);
	return r;
}

static json_object *call(struct eval *ev, const struct node *n, json_object *v)
{
	const struct function *f = &functions[n->op];
	json_object *args[2] = { NULL, NULL }, *r = NULL, *a;
	size_t i;

	/* Variadic functions (merge, not_null) read their arguments one by one below. The others
	 * evaluate every argument before checking any, in Python jmespath's order, so that the
	 * same error comes first. */
	for (i = 0; i < n->nkids && i < 2 && !f->variadic; i++) {
		if (n->kids[i]->type == N_EXPREF)
			continue;
		args[i] = eval(ev, n->kids[i], v);
		if (ev->failed)
			goto out;
	}
	for (i = 0; i < n->nkids && i < 2 && !f->variadic; i++) {
		if (n->kids[i]->type == N_EXPREF) {
			if (!(f->types[i] & A_EXPREF)) {
				json_object *shown = json_object_new_string(
					"<jmespath.visitor._Expression object>");

				type_error(ev, f->name, shown, "expref", f->expect[i]);
				json_object_put(shown);
				goto out;
			}
			continue;
		}
		if (!check_arg(ev, f, i, args[i]))
			goto out;
	}
	a = args[0];
	switch ((enum fn)n->op) {
	case F_ABS:
		if (json_object_is_type(a, json_type_int))
			r = json_object_new_int64(llabs(json_object_get_int64(a)));
		else
			r = json_object_new_double(fabs(json_object_get_double(a)));
		break;
	case F_AVG:
	case F_SUM: {
		size_t len = json_object_array_length(a);
		double sum = 0;
		bool all_int = true;
		int64_t isum = 0;

		if (n->op == F_AVG && len == 0)
			break;
		for (i = 0; i < len; i++) {
			json_object *e = json_object_array_get_idx(a, i);

			sum += json_object_get_double(e);
			if (json_object_is_type(e, json_type_int))
				isum += json_object_get_int64(e);
			else
				all_int = false;
		}
		if (n->op == F_AVG)
			r = json_object_new_double(sum / (double)len);
		else
			r = all_int ? json_object_new_int64(isum) : json_object_new_double(sum);
		break;
	}
	case F_CEIL:
		r = new_number(ceil(json_object_get_double(a)));
		break;
	case F_FLOOR:
		r = new_number(floor(json_object_get_double(a)));
		break;
	case F_CONTAINS:
		if (json_object_is_type(a, json_type_string)) {
			r = json_object_new_boolean(json_object_is_type(args[1], json_type_string) &&
				strstr(json_object_get_string(a),
				       json_object_get_string(args[1])) != NULL);
		} else {
			bool found = false;

			for (i = 0; !found && i < json_object_array_length(a); i++)
				found = json_equal(json_object_array_get_idx(a, i), args[1]);
			r = json_object_new_boolean(found);
		}
		break;
	case F_ENDS_WITH:
	case F_STARTS_WITH: {
		size_t la = (size_t)json_object_get_string_len(a);
		size_t lb = (size_t)json_object_get_string_len(args[1]);
		const char *s = json_object_get_string(a), *t = json_object_get_string(args[1]);

		r = json_object_new_boolean(lb <= la && memcmp(n->op == F_STARTS_WITH ? s : s + la - lb,
							      t, lb) == 0);
		break;
	}
	case F_JOIN: {
		size_t len = json_object_array_length(args[1]), total = 1;
		const char *glue = json_object_get_string(a);
		char *buf, *w;

		for (i = 0; i < len; i++)
			total += (size_t)json_object_get_string_len(json_object_array_get_idx(args[1], i)) +
				 strlen(glue);
		buf = malloc(total);
		if (!buf)
			break;
		w = buf;
		*w = '\0';
		for (i = 0; i < len; i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(args[1], i));

			if (i) {
				memcpy(w, glue, strlen(glue));
				w += strlen(glue);
			}
			memcpy(w, s, strlen(s));
			w += strlen(s);
		}
		*w = '\0';
		r = json_object_new_string(buf);
		free(buf);
		break;
	}
	case F_KEYS:
	case F_VALUES:
		r = new_array_or_fail(ev);
		if (!r)
			break;
		{
			json_object_object_foreach(a, k, val) {
				json_object_array_add(r, n->op == F_KEYS ? json_object_new_string(k)
									 : json_object_get(val));
			}
		}
		break;
	case F_LENGTH:
		if (json_object_is_type(a, json_type_string))
			r = json_object_new_int64((int64_t)utf8_chars(json_object_get_string(a),
				(size_t)json_object_get_string_len(a)));
		else if (json_object_is_type(a, json_type_array))
			r = json_object_new_int64((int64_t)json_object_array_length(a));
		else
			r = json_object_new_int64(json_object_object_length(a));
		break;
	case F_MAP:
		r = new_array_or_fail(ev);
		for (i = 0; r && !ev->failed && i < json_object_array_length(args[1]); i++)
			json_object_array_add(r, eval(ev, n->kids[0]->l,
						      json_object_array_get_idx(args[1], i)));
		break;
	case F_MAX:
	case F_MIN:
		r = extreme(ev, a, NULL, f->name, n->op == F_MAX ? 1 : -1);
		break;
	case F_MAX_BY:
	case F_MIN_BY:
		r = extreme(ev, a, n->kids[1], f->name, n->op == F_MAX_BY ? 1 : -1);
		break;
	case F_MERGE:
		r = json_object_new_object();
		for (i = 0; r && i < n->nkids; i++) {
			json_object *o = eval(ev, n->kids[i], v);

			if (!ev->failed && !json_object_is_type(o, json_type_object))
				type_error(ev, f->name, o, type_name(o), f->expect[0]);
			if (ev->failed) {
				json_object_put(o);
				break;
			}
			{
				json_object_object_foreach(o, k, val) {
					json_object_object_add(r, k, json_object_get(val));
				}
			}
			json_object_put(o);
		}
		break;
	case F_NOT_NULL:
		/* Every argument is evaluated, as Python jmespath does, so that an error in one
		 * after the first non-null is still an error. */
		for (i = 0; i < n->nkids && !ev->failed; i++) {
			json_object *x = eval(ev, n->kids[i], v);

			if (!r && !ev->failed)
				r = x;
			else
				json_object_put(x);
		}
		break;
	case F_REVERSE:
		if (json_object_is_type(a, json_type_string)) {
			const char *s = json_object_get_string(a);
			size_t len = (size_t)json_object_get_string_len(a), w = len, j;
			char *buf = malloc(len + 1);

			if (!buf)
				break;
			/* Whole UTF-8 characters, last first. */
			for (i = 0; i < len; i = j) {
				for (j = i + 1; j < len && ((unsigned char)s[j] & 0xC0) == 0x80; j++)
					;
				w -= j - i;
				memcpy(buf + w, s + i, j - i);
			}
			buf[len] = '\0';
			r = json_object_new_string_len(buf, (int)len);
			free(buf);
		} else {
			size_t len = json_object_array_length(a);

			r = new_array_or_fail(ev);
			for (i = len; r && i > 0; i--)
				json_object_array_add(r, json_object_get(json_object_array_get_idx(a, i - 1)));
		}
		break;
	case F_SORT:
		r = sorted_copy(ev, a, NULL, f->name);
		break;
	case F_SORT_BY:
		r = sorted_copy(ev, a, n->kids[1], f->name);
		break;
	case F_TO_ARRAY:
		r = json_object_is_type(a, json_type_array) ? json_object_get(a)
							    : json_object_new_array();
		if (r && !json_object_is_type(a, json_type_array))
			json_object_array_add(r, json_object_get(a));
		break;
	case F_TO_NUMBER:
		r = to_number(a);
		break;
	case F_TO_STRING:
		if (json_object_is_type(a, json_type_string))
			r = json_object_get(a);
		else
			r = ascii_json(a);
		break;
	case F_TYPE:
		r = json_object_new_string(type_name(a));
		break;
	}
out:
	json_object_put(args[0]);
	json_object_put(args[1]);
	if (ev->failed) {
		json_object_put(r);
		return NULL;
	}
	return r;
}

int jmespath_search(const struct jmespath *jp, json_object *data, json_object **result,
		    struct jmespath_error *err)
{
	struct eval ev = { .err = err };
	json_object *r = eval(&ev, jp->root, data);

	if (ev.failed) {
		json_object_put(r);
		return -1;
	}
	*result = r;
	return 0;
}
