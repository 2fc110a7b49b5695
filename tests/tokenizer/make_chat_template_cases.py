#!/usr/bin/python3
"""Regenerates data/chat_template_cases.json: small templates rendered by the real Jinja2, set up as
Hugging Face's apply_chat_template sets it up (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, raise_exception, strftime_now fixed at 2026-11-25 09:30:00, tojson with ensure_ascii=False).

Run with Debian's interpreter, which has python3-jinja2:  /usr/bin/python3 tests/tokenizer/make_chat_template_cases.py
Each case: name, template, context (extra variables; messages=[], add_generation_prompt=False, bos_token='',
eos_token='' unless given), and either text or error ("ExceptionType: message").
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    # transformers' chat-template tojson
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class GenerationTag(Extension):
    """transformers' AssistantTracker without the mask bookkeeping: {% generation %} renders its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda f: datetime(2026, 11, 25, 9, 30, 0).strftime(f)
    return env


MSGS = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Bonjour « toi » !"},
    {"role": "assistant", "content": "Salut.", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1, "b": [True, None]}}}]},
    {"role": "tool", "tool_call_id": "c1", "name": "f", "content": "{\"ok\": true}"},
    {"role": "user", "content": [{"type": "text", "text": "part one"}, {"type": "image"}, {"type": "text", "text": "two"}]},
]

CASES = [
    # --- whitespace control, trim_blocks / lstrip_blocks, comments, raw
    ("text_only", "Hello\nWorld\n", {}),
    ("trailing_newline_kept_once", "a\n\n", {}),
    ("crlf_normalized", "a\r\nb\rc", {}),
    ("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", {}),
    ("lstrip_blocks", "  {% if true %}\n  x\n  {% endif %}\n", {}),
    ("lstrip_not_variables", "  {{ 'v' }}\n", {}),
    ("lstrip_plus_disables", "  {%+ if true %}x{% endif %}", {}),
    ("trim_plus_disables", "{% if true +%}\nx{% endif %}", {}),
    ("minus_left", "a   \n  {%- if true %}b{% endif %}", {}),
    ("minus_right", "{% if true -%}   \n  b{% endif %}", {}),
    ("minus_expression", "a  {{- 'b' -}}  c", {}),
    ("minus_both_newlines", "x\n\n{{- 1 -}}\n\ny", {}),
    ("comment", "a{# hidden #}b", {}),
    ("comment_trim", "a\n  {# c #}\nb", {}),
    ("comment_minus", "a  {#- c -#}  b", {}),
    ("raw_block", "{% raw %}{{ not evaluated }}{% endraw %}", {}),
    ("raw_block_minus", "x {%- raw -%}  {{ y }}  {%- endraw -%} z", {}),
    ("lstrip_after_trimmed_line", "{% for i in [1,2] %}\n    {% if i %}\n{{ i }}\n    {% endif %}\n{% endfor %}", {}),
    ("lstrip_after_expression_dash", "{{ 'a' -}}\n   {% if true %}b{% endif %}", {}),
    ("unicode_whitespace_strip", "x\u00a0 {{- 'y' }}", {}),
    # --- literals and printing with Python semantics
    ("print_none_bool", "{{ none }} {{ None }} {{ true }} {{ False }}", {}),
    ("print_numbers", "{{ 1 }} {{ 1.0 }} {{ 1.5e3 }} {{ 1e20 }} {{ 0.0001 }} {{ 1e-5 }} {{ -0.0 }} {{ 1_000 }}", {}),
    ("print_float_arith", "{{ 0.1 + 0.2 }} {{ 1/3 }} {{ 2**0.5 }} {{ 10/4 }}", {}),
    ("print_list", "{{ [1, 'a', none, true, 2.5, [], {}] }}", {}),
    ("print_tuple", "{{ (1,) }} {{ (1, 'b') }} {{ () }}", {}),
    ("print_dict", "{{ {'a': 1, 'b': 'x', 'c': [none]} }}", {}),
    ("print_str_repr_quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'back\\\\'] }}", {}),
    ("print_str_repr_unicode", "{{ ['é', '\u00a0', '\u202f', '€', '\\x01'] }}", {}),
    ("print_message", "{{ messages[2] }}", {"messages": MSGS}),
    ("string_escapes", "{{ 'a\\tb\\u00e9\\x41\\101\\\\q' }}", {}),
    ("string_concat_literals", "{{ 'a' 'b' \"c\" }}", {}),
    ("print_undefined_empty", "[{{ nothing }}][{{ nothing is defined }}]", {}),
    ("print_namespace", "{% set ns = namespace(a=1, b='x') %}{{ ns }}", {}),
    ("print_macro", "{% macro m() %}{% endmacro %}{{ m }}", {}),
    # --- operators
    ("arith_int", "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}", {}),
    ("arith_float", "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 3 * 1.5 }} {{ 1 + true }}", {}),
    ("pow_left_assoc", "{{ 2 ** 3 ** 2 }}", {}),
    ("unary", "{{ -3 }} {{ - -3 }} {{ +3 }} {{ -(2 + 3) }} {{ not true }} {{ not 0 }}", {}),
    ("precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 * 3 ~ 4 }} {{ 1 ~ 2 + 3 }}", {}),
    ("string_ops", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ 'a' ~ 1 ~ none ~ true }}", {}),
    ("list_ops", "{{ [1, 2] + [3] }} {{ [0] * 3 }} {{ (1,) + (2,) }}", {}),
    ("compare", "{{ 1 < 2 }} {{ 2 <= 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }}", {}),
    ("equality_types", "{{ (1, 2) == [1, 2] }} {{ true == 1 }} {{ none == none }} {{ {'a': 1} == {'a': 1} }} {{ 'a' == 'a' }}", {}),
    ("in_operator", "{{ 'a' in 'cat' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ 'x' in nothing }}", {}),
    ("and_or_values", "{{ 0 or 'b' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or [] }}", {}),
    ("condexpr", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} [{{ 'y' if false }}]", {}),
    ("truthiness", "{% for v in [0, 1, '', 'a', [], [0], {}, {'a': 1}, none, 0.0, 0.5] %}{{ 'T' if v else 'F' }}{% endfor %}", {}),
    ("concat_undefined", "{{ 'a' ~ nothing ~ 'b' }}", {}),
    ("str_plus_dict_error", "{{ 'a' + {} }}", {}),
    ("int_plus_str_error", "{{ 1 + 'a' }}", {}),
    ("undefined_plus_error", "{{ nothing + 1 }}", {}),
    ("division_by_zero", "{{ 1 / 0 }}", {}),
    ("compare_mixed_error", "{{ 1 < 'a' }}", {}),
    ("percent_format", "{{ '%s-%d-%05.2f-%r' % ('a', 3, 3.14159, 'q') }} {{ '%s' % 'x' }} {{ '%(a)s' % {'a': 1} }}", {}),
    # --- access
    ("attr_and_item", "{{ m.role }} {{ m['content'] }} {{ m.get('role') }} {{ m.get('x', 'dflt') }} [{{ m.get('x') }}]", {"m": MSGS[0]}),
    ("nested_access", "{{ messages[2].tool_calls[0].function.arguments.b[0] }}", {"messages": MSGS}),
    ("negative_index", "{{ [1, 2, 3][-1] }} {{ 'abc'[-1] }} {{ 'héllo'[1] }}", {}),
    ("slices", "{{ [1, 2, 3, 4][1:] }} {{ [1, 2, 3, 4][:-1] }} {{ [1, 2, 3, 4][::-1] }} {{ [1, 2, 3, 4][::2] }} {{ 'héllo'[1:3] }} {{ 'abc'[::-1] }} {{ [1, 2, 3][5:] }}", {}),
    ("dot_integer", "{{ [10, 20].1 }}", {}),
    ("missing_index_undefined", "[{{ [1][5] }}] {{ [1][5] is defined }}", {}),
    ("missing_key_undefined", "[{{ m.nope }}] {{ m.nope is undefined }}", {"m": {"a": 1}}),
    ("attr_of_none_undefined", "[{{ none.x }}]", {}),
    ("attr_of_undefined_error", "{{ a.b.c }}", {"a": {}}),
    ("undefined_name_attr_error", "{{ nope.x }}", {}),
    ("call_undefined_error", "{{ nope() }}", {}),
    ("dict_method_beats_key", "{{ d['items'] }} {{ d.items() | list }}", {"d": {"items": "key"}}),
    ("items_keys_values", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %} {{ d.keys() | list }} {{ d.values() | list }}", {"d": {"b": 1, "a": 2}}),
    # --- statements
    ("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %} {% endfor %}", {}),
    ("loop_variables", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", {}),
    ("loop_prev_next", "{% for x in [1, 2, 3] %}{{ loop.previtem }}<{{ x }}>{{ loop.nextitem }};{% endfor %}", {}),
    ("loop_cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}", {}),
    ("loop_changed", "{% for x in [1, 1, 2, 2, 1] %}{{ loop.changed(x) }} {% endfor %}", {}),
    ("for_else", "{% for x in [] %}x{% else %}empty{% endfor %} {% for x in [1] %}x{% else %}empty{% endfor %}", {}),
    ("for_if_filter", "{% for x in range(10) if x is odd %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}", {}),
    ("for_unpack", "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }} {% endfor %}", {}),
    ("for_over_dict", "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}", {}),
    ("for_over_string", "{% for c in 'héé' %}[{{ c }}]{% endfor %}", {}),
    ("for_over_undefined", "[{% for x in nothing %}x{% endfor %}]", {}),
    ("for_over_none_error", "{% for x in none %}x{% endfor %}", {}),
    ("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", {}),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}", {}),
    ("loop_scope", "{% set y = 5 %}{% for x in [1, 2] %}{{ y }}{% set y = x %}{{ y }}{% endfor %}[{{ y }}]", {}),
    ("loop_scope_fresh_iteration", "{% for x in [1, 2] %}{% if x == 2 %}[{{ y }}]{% endif %}{% set y = x %}{% endfor %}", {}),
    ("if_does_not_scope", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}", {}),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}", {}),
    ("set_block", "{% set x %}inner {{ 1 + 1 }}{% endset %}[{{ x }}]", {}),
    ("set_block_filter", "{% set x | upper %}abc{% endset %}{{ x }}", {}),
    ("namespace", "{% set ns = namespace(n=0, s='') %}{% for x in [1, 2, 3] %}{% set ns.n = ns.n + x %}{% set ns.s = ns.s ~ x %}{% endfor %}{{ ns.n }} {{ ns.s }} {{ ns['n'] }}", {}),
    ("namespace_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}", {}),
    ("set_attr_non_namespace_error", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("unpack_error", "{% set a, b = [1, 2, 3] %}", {}),
    ("macro_defaults", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(punct='.', name='C') }}", {}),
    ("macro_missing_arg", "{% macro m(a, b) %}[{{ a }}][{{ b }}][{{ b is defined }}]{% endmacro %}{{ m(1) }}", {}),
    ("macro_recursive", "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(4) }}", {}),
    ("macro_sees_globals", "{% macro m() %}{{ g }}{% endmacro %}{% set g = 'late' %}{{ m() }}", {}),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k='v') }}", {}),
    ("macro_too_many_args_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("macro_namespace_side_effect", "{% set ns = namespace(c=0) %}{% macro bump() %}{% set ns.c = ns.c + 1 %}{% endmacro %}{{ bump() }}{{ bump() }}{{ ns.c }}", {}),
    ("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}", {}),
    ("call_block_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1, 2]) %}<{{ v }}>{% endcall %}", {}),
    ("filter_block", "{% filter upper %}hello {{ 'world' }}{% endfilter %}", {}),
    ("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", {}),
    ("raise_exception", "{% if true %}{{ raise_exception('Roles must alternate') }}{% endif %}", {}),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }} {{ strftime_now('%Y-%m-%d %H:%M:%S') }} {{ strftime_now('%A %B %-d') }}", {}),
    ("range", "{{ range(3) | list }} {{ range(1, 7, 2) | list }} {{ range(5, 0, -2) | list }} {{ range(0) | list }}", {}),
    ("dict_global", "{{ dict(a=1, b='x') }} {{ dict([('k', 2)]) }}", {}),
    ("joiner", "{% set j = joiner(', ') %}{% for x in [1, 2, 3] %}{{ j() }}{{ x }}{% endfor %}", {}),
    ("list_append_is_unsafe", "{% set l = [] %}{% set _ = l.append(1) %}{{ l }}", {}),
    ("dict_update_is_unsafe", "{% set d = {} %}{{ d.update({'a': 1}) }}", {}),
    # --- filters
    ("f_length_count", "{{ [1, 2] | length }} {{ 'héllo' | length }} {{ {'a': 1} | count }} {{ nothing | length }}", {}),
    ("f_length_generator_error", "{{ [1] | map('string') | length }}", {}),
    ("f_first_last", "{{ [1, 2, 3] | first }} {{ [1, 2, 3] | last }} {{ 'abc' | first }} [{{ [] | first }}]", {}),
    ("f_join", "{{ [1, 2, 3] | join(', ') }} {{ ['a', 'b'] | join }} {{ users | join('/', attribute='name') }}", {"users": [{"name": "x"}, {"name": "y"}]}),
    ("f_case", "{{ 'hello WORLD' | upper }} {{ 'HeLLo' | lower }} {{ 'hello wORLD-foo(bar' | title }} {{ 'hELLO world' | capitalize }} {{ 'éà' | upper }}", {}),
    ("f_trim", "[{{ '  a b \\n' | trim }}] [{{ 'xxaxx' | trim('x') }}]", {}),
    ("f_replace", "{{ 'aaa' | replace('a', 'b') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'ab' | replace('', '-') }}", {}),
    ("f_default", "{{ nothing | default('d') }} {{ none | default('d') }} {{ '' | default('d', true) }} {{ 'v' | d('d') }} [{{ nothing | default }}]", {}),
    ("f_tojson", "{{ x | tojson }}", {"x": {"b": [1, 2.5, None, True], "a": "é\"<>&'\n\u2028", "n": {"k": {}}}}),
    ("f_tojson_indent", "{{ x | tojson(indent=2) }}|{{ [] | tojson(indent=2) }}|{{ {'a': []} | tojson(indent=4) }}", {"x": {"a": [1, {"b": None}], "c": "d"}}),
    ("f_tojson_options", "{{ x | tojson(sort_keys=true) }} {{ x | tojson(separators=(',', ':')) }} {{ x | tojson(indent='\\t') }}", {"x": {"b": 1, "a": [1, 2]}}),
    ("f_tojson_ensure_ascii", "{{ x | tojson(ensure_ascii=true) }} {{ x | tojson(ensure_ascii=false) }}", {"x": {"ké": "é€😀"}}),
    ("f_tojson_scalars", "{{ 'str' | tojson }} {{ 1.0 | tojson }} {{ none | tojson }} {{ (1, 2) | tojson }} {{ {1: 'int key', true: 'b'} | tojson }}", {}),
    ("f_tojson_undefined_error", "{{ nothing | tojson }}", {}),
    ("f_tojson_generator_error", "{{ [1] | map('string') | tojson }}", {}),
    ("f_string_int_float", "{{ 12 | string }}{{ '42' | int + 1 }} {{ '3.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 4 | float }} {{ 'x' | float }}", {}),
    ("f_list", "{{ 'ab' | list }} {{ {'a': 1} | list }} {{ (1, 2) | list }}", {}),
    ("f_items", "{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}{{ v }}{% endfor %}", {}),
    ("f_map", "{{ users | map(attribute='name') | list }} {{ [1, 2] | map('string') | list }} {{ users | map(attribute='age', default=0) | list }} {{ ['a', 'b'] | map('upper') | join }}", {"users": [{"name": "x", "age": 3}, {"name": "y"}]}),
    ("f_map_nested_attribute", "{{ msgs | map(attribute='function.name') | list }}", {"msgs": [{"function": {"name": "f1"}}, {"function": {"name": "f2"}}]}),
    ("f_select_reject", "{{ range(6) | select('odd') | list }} {{ range(6) | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ range(6) | select('divisibleby', 3) | list }}", {}),
    ("f_selectattr", "{{ msgs | selectattr('role', 'equalto', 'user') | map(attribute='content') | list }} {{ msgs | rejectattr('role', 'eq', 'user') | list | length }} {{ msgs | selectattr('tool_calls', 'defined') | list | length }} {{ msgs | selectattr('tool_calls') | list | length }}", {"msgs": MSGS}),
    ("f_unique", "{{ [1, 2, 1, 3] | unique | list }} {{ ['a', 'A', 'b'] | unique | list }} {{ ['a', 'A'] | unique(case_sensitive=true) | list }}", {}),
    ("f_sort", "{{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ ['b', 'A', 'c'] | sort }} {{ users | sort(attribute='age') | map(attribute='n') | list }}", {"users": [{"n": "a", "age": 3}, {"n": "b", "age": 1}]}),
    ("f_reverse", "{{ 'abc' | reverse }} {{ [1, 2, 3] | reverse | list }}", {}),
    ("f_round", "{{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 3 | round }} {{ -2.5 | round }}", {}),
    ("f_abs", "{{ -3 | abs }} {{ -2.5 | abs }}", {}),
    ("f_indent", "{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'x\\ny' | indent('> ') }}", {}),
    ("f_batch", "{{ range(5) | batch(2) | list }} {{ range(5) | batch(2, 'x') | list }}", {}),
    ("f_slice", "{{ range(7) | slice(3) | list }}", {}),
    ("f_dictsort", "{{ {'b': 1, 'a': 2} | dictsort }} {{ {'b': 1, 'a': 2} | dictsort(by='value') }} {{ {'b': 1, 'a': 2} | dictsort(reverse=true) }}", {}),
    ("f_wordcount", "{{ 'hello big world' | wordcount }} {{ 'a-b c_d' | wordcount }}", {}),
    ("f_safe_markup_escapes", "{{ 'x' | safe + '<a>' }} {{ '<b>' + 'y' | safe }} {{ '<i>' | escape }} {{ ('a' | safe) ~ '<' }}", {}),
    ("f_center_truncate", "[{{ 'ab' | center(7) }}] {{ 'one two three four' | truncate(9, leeway=0) }} {{ 'one two three' | truncate(7, true, '..', 0) }}", {}),
    ("f_sum_min_max", "{{ [1, 2, 3] | sum }} {{ [{'v': 2}, {'v': 5}] | sum(attribute='v') }} {{ [3, 1, 2] | min }} {{ ['a', 'B'] | max }}", {}),
    ("f_format", "{{ '%s and %s' | format('a', 'b') }}", {}),
    ("f_attr", "{{ ('abc' | attr('upper'))() }}", {}),
    ("f_chain", "{{ messages | selectattr('role', 'in', ['user', 'system']) | map(attribute='role') | unique | join(',') | upper }}", {"messages": MSGS}),
    # --- tests
    ("tests_types", "{% for v in [1, 1.5, 'a', none, true, [1], {'a': 1}, nothing] %}{{ v is number }}{{ v is integer }}{{ v is float }}{{ v is string }}{{ v is none }}{{ v is boolean }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }}{{ v is defined }}|{% endfor %}", {}),
    ("tests_values", "{{ 4 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 'ab' is lower }}{{ 'AB' is upper }}", {}),
    ("tests_compare", "{{ 1 is eq 1 }}{{ 1 is equalto 2 }}{{ 1 is ne 2 }}{{ 1 is lt 2 }}{{ 2 is gt 1 }}{{ 2 is ge 2 }}{{ 1 is le 0 }}{{ 2 is in [1, 2] }}{{ 'upper' is filter }}{{ 'odd' is test }}", {}),
    ("tests_negated", "{{ x is not none }} {{ x is not defined }} {{ not x is defined }} {{ y is not string }}", {"x": 1, "y": [1]}),
    ("tests_callable_sameas", "{{ range is callable }} {{ none is sameas none }} {{ 1 is callable }}", {}),
    # --- string methods
    ("m_strip", "[{{ '  a  '.strip() }}][{{ '  a  '.lstrip() }}][{{ '  a  '.rstrip() }}][{{ 'xax'.strip('x') }}]", {}),
    ("m_split", "{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'x</think>y'.split('</think>')[-1] }}", {}),
    ("m_startswith_endswith", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.endswith('x') }}", {}),
    ("m_case", "{{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ \"it's a test\".title() }} {{ 'aBC'.capitalize() }}", {}),
    ("m_find_count_replace", "{{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ 'hello'.replace('l', 'L') }} {{ 'héllo'.find('l') }}", {}),
    ("m_format", "{{ '{} + {} = {}'.format(1, 2, 3) }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{name}!'.format(name='x') }} {{ '{:>5}|{:<4}|{:^5}|{:.2f}|{:03d}'.format('a', 'b', 'c', 3.14159, 7) }}", {}),
    ("m_join_splitlines", "{{ '-'.join(['a', 'b']) }} {{ 'a\\nb\\r\\nc'.splitlines() }}", {}),
    ("m_is", "{{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'a1'.isalnum() }} {{ ' '.isspace() }} {{ ''.isdigit() }}", {}),
    ("m_list_dict", "{{ [1, 2, 1].count(1) }} {{ [1, 2].index(2) }} {{ {'a': 1}.get('a') }} {{ {'a': 1}.copy() }}", {}),
    # --- chat-template shapes
    ("content_parts", "{% for m in messages %}{% if m.content is string %}{{ m.content }}{% else %}{% for p in m.content %}{% if p.type == 'text' %}{{ p.text }}{% else %}<{{ p.type }}>{% endif %}{% endfor %}{% endif %}|{% endfor %}", {"messages": MSGS}),
    ("tool_calls_json", "{% for m in messages if m.tool_calls is defined %}{% for tc in m.tool_calls %}{{ tc.function.name }}({{ tc.function.arguments | tojson }}){% endfor %}{% endfor %}", {"messages": MSGS}),
    ("tools_schema", "{% for t in tools %}{{ t | tojson(indent=4) }}{% endfor %}", {"tools": [{"type": "function", "function": {"name": "get", "description": "Gets «x»", "parameters": {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}}}]}),
    ("extra_variables", "{{ date_string }} {{ tools_in_user_message }} {{ builtin_tools | join(', ') }} {{ documents | length }}", {"date_string": "26 Jul 2024", "tools_in_user_message": False, "builtin_tools": ["brave_search", "wolfram_alpha"], "documents": [{"title": "t", "text": "x"}]}),
    ("generation_block_scope", "{% set x = 1 %}{% generation %}{% set x = 2 %}{{ x }}{% endgeneration %}{{ x }}", {}),
    ("generation_block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}", {"messages": MSGS}),
    ("bos_eos_generation_prompt", "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{% endfor %}{% if add_generation_prompt %}[assistant]{% else %}{{ eos_token }}{% endif %}", {"messages": MSGS[:2], "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>"}),
    ("chatml", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}", {"messages": MSGS[:2], "add_generation_prompt": True}),
    ("system_first_pop", "{% if messages[0]['role'] == 'system' %}{% set system = messages[0]['content'] %}{% set loop_messages = messages[1:] %}{% else %}{% set loop_messages = messages %}{% endif %}{{ system }}:{{ loop_messages | length }}", {"messages": MSGS}),
    ("alternation_error", "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% endfor %}", {"messages": MSGS}),
]


def gguf_string(path, wanted):
    """The string metadata value `wanted` of a GGUF file (a minimal reader: header and metadata only)."""
    import struct

    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values[0]

    def string():
        nonlocal pos
        n = take("Q")
        pos += n
        return data[pos - n:pos].decode("utf-8")

    sizes = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(kind):
        if kind == 8:
            return string()
        if kind == 9:
            item, n = take("I"), take("Q")
            return [value(item) for _ in range(n)]
        return take(sizes[kind])

    assert data[:4] == b"GGUF"
    pos = 4
    take("I")
    take("Q")
    n_kv = take("Q")
    for _ in range(n_kv):
        key = string()
        v = value(take("I"))
        if key == wanted:
            return v
    raise KeyError(wanted)


# Templates stored in the shared vocab-only GGUFs (read through chat_template_from_gguf in the test; the
# template text itself is not copied here).
GGUF_TEMPLATES = {
    "llama3": "reference/tokenizer/ggml-vocab-llama-bpe.gguf",
    "qwen3": "reference/tokenizer/ggml-vocab-qwen2.gguf",
}
GGUF_TOOLS = [{"type": "function", "function": {"name": "get_status", "description": "Statut d'un ticket",
                                                "parameters": {"type": "object", "properties": {"id": {"type": "string"}},
                                                               "required": ["id"]}}}]
GGUF_CONVERSATIONS = {
    "plain": {"messages": [{"role": "user", "content": "Salut !"}], "add_generation_prompt": True},
    "system_multi": {"messages": [{"role": "system", "content": "Réponds en français."},
                                  {"role": "user", "content": "Hi"},
                                  {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nBonjour."},
                                  {"role": "user", "content": "Merci"}]},
    "tools": {"messages": [{"role": "user", "content": "Statut de T-42 ?"},
                           {"role": "assistant", "content": "", "tool_calls": [
                               {"type": "function", "function": {"name": "get_status", "arguments": {"id": "T-42"}}}]},
                           {"role": "tool", "content": "{\"status\": \"fermé\"}"}],
              "tools": GGUF_TOOLS, "add_generation_prompt": True},
}


def main():
    env = environment()
    out = []
    shared = os.environ.get("OCCAM_SHARED", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared"))
    for model, gguf in GGUF_TEMPLATES.items():
        template = env.from_string(gguf_string(os.path.join(shared, gguf), "tokenizer.chat_template"))
        for conv_name, context in GGUF_CONVERSATIONS.items():
            variables = {"add_generation_prompt": False, "bos_token": "<s>", "eos_token": "</s>"}
            variables.update(context)
            case = {"name": f"gguf_{model}_{conv_name}", "gguf": gguf, "context": dict(context, bos_token="<s>", eos_token="</s>")}
            try:
                case["text"] = template.render(**variables)
            except Exception as e:
                case["error"] = f"{type(e).__name__}: {e}"
            out.append(case)
    for name, source, context in CASES:
        variables = {"messages": [], "add_generation_prompt": False, "bos_token": "", "eos_token": ""}
        variables.update(context)
        case = {"name": name, "template": source, "context": context}
        try:
            case["text"] = env.from_string(source).render(**variables)
        except Exception as e:  # the template failing is a case too
            case["error"] = f"{type(e).__name__}: {e}"
        out.append(case)
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "data", "chat_template_cases.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": "tests/tokenizer/make_chat_template_cases.py", "jinja2": jinja2.__version__,
                   "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out)} cases -> {path}")


if __name__ == "__main__":
    main()
