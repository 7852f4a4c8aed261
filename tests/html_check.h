/* html_check.h - the test suites' well-formedness checker for the HTML the reports write
 * (XML-compatible HTML5): a strict test oracle, not a browser; it rejects what a well-made
 * page never needs. */
#ifndef RB_HTML_CHECK_H
#define RB_HTML_CHECK_H

#include <stddef.h>

/* 1 when text is well formed:
 *  - every start tag has its end tag, properly nested (tag names compared exactly);
 *  - the void elements (area base br col embed hr img input link meta source track wbr) are
 *    written <x/> or <x> and have no end tag; no other element may be written <x/>;
 *  - every attribute has a value in double or single quotes, and no element repeats one;
 *  - '&' only starts &amp; &lt; &gt; &quot; &#39; &#NNN; or &#xHH; (a valid code point), in
 *    text and attribute values; no raw '<' in text or attribute values;
 *  - <script> and <style> hold raw text up to their closing tag;
 *  - comments <!-- --> are closed; a <!DOCTYPE ...> may come before the first element;
 *  - the bytes are valid UTF-8 with no control characters other than tab, LF and CR.
 * Else 0, with a one-line reason naming the byte offset in why (when why is not NULL and
 * whylen > 0). */
int rbt_html_well_formed(const char *text, char *why, size_t whylen);

/* How many start tags named tag (case-insensitive) text holds, outside comments and the raw
 * text of script and style; -1 when text is not well formed. */
int rbt_html_count(const char *text, const char *tag);

#endif /* RB_HTML_CHECK_H */
