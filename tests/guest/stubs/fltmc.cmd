@echo off
rem Test stand-in for fltmc.exe, the scripts' Administrator probe: fails with "access denied"
rem when AERO_STUB_NOADMIN is 1, as fltmc does in a process that is not elevated.
>>"%AERO_STUB_LOG%" echo.fltmc %*
if "%AERO_STUB_NOADMIN%"=="1" goto :denied
echo Filter Name                     Num Instances    Altitude    Frame
echo ------------------------------  -------------  ------------  -----
echo FileInfo                                4         45000         0
exit /b 0
:denied
echo fltmc: Access is denied. (0x80070005)
exit /b 1
