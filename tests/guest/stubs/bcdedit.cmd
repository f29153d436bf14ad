@echo off
rem Test stand-in for bcdedit.exe: logs its arguments; /enum shows "testsigning" as
rem AERO_STUB_TESTSIGNING (Yes/No) when that is set, else omits it like a fresh Windows;
rem "nointegritychecks" likewise from AERO_STUB_NOINTEGRITYCHECKS.
setlocal
>>"%AERO_STUB_LOG%" echo.bcdedit %*
if /i not "%~1"=="/enum" goto :ok
echo.
echo Windows Boot Loader
echo -------------------
echo identifier              {current}
echo device                  partition=C:
echo path                    \Windows\system32\winload.exe
if defined AERO_STUB_TESTSIGNING echo testsigning             %AERO_STUB_TESTSIGNING%
if defined AERO_STUB_NOINTEGRITYCHECKS echo nointegritychecks       %AERO_STUB_NOINTEGRITYCHECKS%
echo nx                      OptIn
:ok
exit /b 0
