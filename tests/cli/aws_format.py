"""What the aws CLI prints for a response with --query and --output: reads the response JSON on
stdin and formats it with the aws CLI's own formatter (awscli.formatter, which applies the query
with jmespath first). Run with the Debian aws CLI's interpreter, /usr/bin/python3.

Usage: aws_format.py json|text|table QUERY OPERATION < response.json
"""
import argparse
import json
import sys

import jmespath
from awscli.formatter import get_formatter


def main():
    fmt, query, operation = sys.argv[1], sys.argv[2], sys.argv[3]
    args = argparse.Namespace(query=jmespath.compile(query), color='off')
    data = json.load(sys.stdin)
    get_formatter(fmt, args)(operation, data, sys.stdout)


if __name__ == '__main__':
    main()
