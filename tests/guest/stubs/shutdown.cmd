@echo off
rem Test stand-in for shutdown.exe: logs its arguments and does nothing else.
>>"%AERO_STUB_LOG%" echo.shutdown %*
exit /b 0
