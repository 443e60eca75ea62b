"""Installs the package `exp`, reading its metadata from settings.ini (nbdev's convention)."""
from configparser import ConfigParser
from setuptools import find_packages, setup

config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    author=cfg['author'],
    author_email=cfg['author_email'],
    license=cfg['license'],
    python_requires=f">={cfg['min_python']}",
    packages=find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    install_requires=cfg.get('requirements', '').split(),
    extras_require={'dev': cfg.get('dev_requirements', '').split(),
                    'site': cfg.get('site_requirements', '').split()},
    zip_safe=False,
)
